"""LDAP generalizedTime values as SCIM dateTimes."""

import pytest

from bridge.mapping.convert import generalized_to_iso, iso_to_generalized


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("20261203221500Z", "2026-12-03T22:15:00Z"),  # slapd's own form
        ("19991231235959Z", "1999-12-31T23:59:59Z"),
        ("20261203221500.123456Z", "2026-12-03T22:15:00Z"),  # fractions dropped
        ("20261203221500.5Z", "2026-12-03T22:15:00Z"),
    ],
)
def test_generalized_time_reads_as_rfc3339(stored: str, shown: str) -> None:
    assert generalized_to_iso(stored) == shown
    assert iso_to_generalized(shown) == stored[:14] + "Z"


def test_an_impossible_date_is_refused_rather_than_printed() -> None:
    with pytest.raises(ValueError):
        generalized_to_iso("20261332221500.0Z")
