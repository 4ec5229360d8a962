"""Shared fixtures: one real slapd per test module, and a root connection.

No skip when slapd is missing: LocalSlapd raises SlapdNotInstalled, and the
tests that need it fail, because a green run without a directory proves
nothing about the directory.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ldap3 import Connection

from bridge.slapd import LocalSlapd

from .support import bridge_spec, connect


@pytest.fixture(scope="module")
def slapd() -> Iterator[LocalSlapd]:
    """A running slapd shared by the tests of one module."""
    with LocalSlapd(bridge_spec()) as server:
        yield server


@pytest.fixture
def root(slapd: LocalSlapd) -> Iterator[Connection]:
    """A connection bound as the root DN, which no ACL restricts."""
    connection = connect(slapd.uri, slapd.root_dn, slapd.root_password)
    yield connection
    connection.unbind()
