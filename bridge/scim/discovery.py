"""The discovery endpoints (RFC 7644 §4), generated from the mapping."""

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    Patch,
    ServiceProviderConfig,
    Sort,
)

from .schemas import ResourceKind

__all__ = ["resource_types", "schemas", "service_provider_config"]

_QUERY = Context.RESOURCE_QUERY_RESPONSE


def service_provider_config(max_results: int, base_url: str) -> dict[str, Any]:
    """What the bridge supports; ``maxResults`` is the page size cap."""
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=max_results),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="The secret token entered in Entra's provisioning settings",
                primary=True,
            )
        ],
    )
    data = config.model_dump(scim_ctx=_QUERY)
    data["meta"] = {
        "resourceType": "ServiceProviderConfig",
        "location": f"{base_url}/ServiceProviderConfig",
    }
    return data


def _with_meta(data: dict[str, Any], kind: str, location: str) -> dict[str, Any]:
    data["meta"] = {"resourceType": kind, "location": location}
    return data


def resource_types(
    kinds: dict[str, ResourceKind], base_url: str
) -> list[dict[str, Any]]:
    """One ResourceType per kind."""
    return [
        _with_meta(
            kind.resource_type.model_dump(scim_ctx=_QUERY),
            "ResourceType",
            f"{base_url}/ResourceTypes/{kind.name}",
        )
        for kind in kinds.values()
    ]


def schemas(kinds: dict[str, ResourceKind], base_url: str) -> list[dict[str, Any]]:
    """Every schema, cut down to the mapped attributes."""
    return [
        _with_meta(
            schema.model_dump(scim_ctx=_QUERY),
            "Schema",
            f"{base_url}/Schemas/{schema.id}",
        )
        for kind in kinds.values()
        for schema in kind.schemas
    ]
