"""scim2-tester against the live bridge, one test per tag and resource type.

The gate of issue 2: no check may end worse than SKIPPED for what
``/Schemas`` advertises (``libraries-and-conformance.md`` §6.2).
"""

from collections.abc import Iterator

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server, get_all_available_tags

from tests.conformance.conftest import StackOf, serving

DISCOVERY_TAGS = (
    "discovery",
    "service-provider-config",
    "resource-types",
    "schemas",
    "misc",
)
"""Tags whose checks do not depend on a resource type."""

RESOURCE_TAGS = (
    "crud:create",
    "crud:read",
    "crud:read:attributes",
    "crud:update",
    "crud:delete",
    "patch:add",
    "patch:remove",
    "patch:replace",
)
"""Tags whose checks run once per resource type."""

RESOURCE_TYPES = ("User", "Group")
ACCEPTED = (Status.SUCCESS, Status.SKIPPED)


PROFILES = ("inetorgperson", "records")
"""Every shipped mapping: each advertises its own schemas."""

KNOWN_BUGS: dict[tuple[str, str], str] = {}
"""Checks that fail for a bug found and reported; strict, so a fix shows."""


@pytest.fixture(scope="module", params=PROFILES)
def profile(request: pytest.FixtureRequest) -> str:
    """The mapping profile the bridge runs with."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def scim(conformance_stack: StackOf, profile: str) -> Iterator[SyncSCIMClient]:
    """A scim2-client that has read the discovery endpoints of a bridge
    running with ``profile``.

    Discovery builds model classes from ``/Schemas``, which takes most of a
    second: once per profile.
    """
    with serving(conformance_stack(profile)) as bridge:
        headers = {"Authorization": f"Bearer {bridge.token}"}
        with httpx2.Client(base_url=bridge.base_url, headers=headers) as http:
            client = SyncSCIMClient(http)
            client.discover()
            yield client


def _failures(results: list[CheckResult]) -> list[str]:
    """Status, resource type, title and reason of each check that failed."""
    return [
        f"{r.status.name} {r.resource_type or '-'} {r.title}: {r.reason}"
        for r in results
        if r.status not in ACCEPTED
    ]


def _check(
    scim: SyncSCIMClient, tag: str, types: list[str] | None
) -> list[CheckResult]:
    results = check_server(scim, include_tags={tag}, resource_types=types)
    # Tag filtering turns every other check into SKIPPED: keep this tag's.
    return [r for r in results if r.tags and tag in r.tags]


def test_the_parametrisation_covers_every_tag_the_tester_knows() -> None:
    """A tag added by a tester upgrade must not go unchecked."""
    covered = set(DISCOVERY_TAGS) | set(RESOURCE_TAGS)

    assert covered == set(get_all_available_tags())


@pytest.mark.parametrize("tag", DISCOVERY_TAGS)
def test_discovery_checks_pass(scim: SyncSCIMClient, tag: str) -> None:
    """Every check of a discovery tag ends SUCCESS or SKIPPED, one at least SUCCESS."""
    results = _check(scim, tag, None)

    failures = _failures(results)
    assert not failures, "\n".join(["checks worse than SKIPPED:", *failures])
    assert any(r.status is Status.SUCCESS for r in results)


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
@pytest.mark.parametrize("tag", RESOURCE_TAGS)
def test_resource_checks_pass(
    request: pytest.FixtureRequest,
    scim: SyncSCIMClient,
    profile: str,
    tag: str,
    resource_type: str,
) -> None:
    """Every check of a tag on one resource type ends SUCCESS or SKIPPED,
    one at least SUCCESS."""
    if (profile, tag) in KNOWN_BUGS:
        request.applymarker(
            pytest.mark.xfail(reason=KNOWN_BUGS[profile, tag], strict=True)
        )

    results = _check(scim, tag, [resource_type])

    failures = _failures(results)
    assert not failures, "\n".join(["checks worse than SKIPPED:", *failures])
    assert any(r.status is Status.SUCCESS for r in results)
