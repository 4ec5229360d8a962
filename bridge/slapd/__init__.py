"""A private, throwaway OpenLDAP slapd for tests, the demo and benchmarks.

Describe the directory with :class:`SlapdSpec`, then run it::

    spec = SlapdSpec(service_accounts=(writer, reader))
    with LocalSlapd(spec) as slapd:
        ...  # slapd.uri, slapd.root_dn, slapd.root_password

The project schema (``group``, ``groupMembership``, ``loginDisabled``,
``scimExternalId``, ...) is at :func:`schema_ldif_path`. This package drives
the OpenLDAP programs through :mod:`subprocess` and never imports ldap3,
which belongs to :mod:`bridge.directory` alone.
"""

from bridge.slapd.config import schema_ldif_path
from bridge.slapd.launcher import LocalSlapd
from bridge.slapd.spec import Role, ServiceAccount, SlapdSpec, TlsFiles
from bridge.slapd.tools import SlapdError, SlapdNotInstalled

__all__ = [
    "LocalSlapd",
    "Role",
    "ServiceAccount",
    "SlapdError",
    "SlapdNotInstalled",
    "SlapdSpec",
    "TlsFiles",
    "schema_ldif_path",
]
