"""Entra's request shapes, brought to the RFC form before validation.

Entra sends two PATCH dialects to one server (``entra-client.md`` §3), and
shapes scim2-models refuses: the enterprise ``manager`` as a bare id, ``""``
or ``null`` to clear an attribute. These functions rewrite the raw JSON so
that one validation path serves every client. Nothing here does I/O.
"""

from typing import Any

from scim2_models import (
    InvalidSyntaxException,
    InvalidValueException,
    NoTargetException,
)

__all__ = ["normalize_patch", "normalize_resource"]

_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"


def _is_manager(path: str) -> bool:
    lowered = path.lower()
    return lowered == "manager" or lowered.endswith(":manager")


def _is_clear(value: Any) -> bool:
    return value is None or value == ""


def normalize_resource(body: dict[str, Any]) -> dict[str, Any]:
    """A POST or PUT body with ``manager`` as ``{"value": id}``."""
    body = dict(body)
    for key, value in list(body.items()):
        if key.lower() == _ENTERPRISE and isinstance(value, dict):
            body[key] = _manager_object(value)
    return body


def _manager_object(extension: dict[str, Any]) -> dict[str, Any]:
    extension = dict(extension)
    for key, value in list(extension.items()):
        if key.lower() != "manager":
            continue
        if _is_clear(value) or value == {"value": ""}:
            del extension[key]
        elif isinstance(value, str):
            extension[key] = {"value": value}
    return extension


def normalize_patch(body: Any) -> dict[str, Any]:
    """A PatchOp body in one dialect: lower-case ops, RFC value shapes."""
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="A PATCH body must be a JSON object")
    operations = _get(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntaxException(
            detail="A PATCH body needs a non-empty 'Operations' list"
        )
    rewritten: list[dict[str, Any]] = []
    for operation in operations:
        rewritten.extend(_operation(operation))
    return {"schemas": body.get("schemas") or [], "Operations": rewritten}


def _get(data: dict[str, Any], key: str) -> Any:
    for name, value in data.items():
        if name.lower() == key.lower():
            return value
    return None


def _operation(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, dict):
        raise InvalidSyntaxException(
            detail="Each PATCH operation must be a JSON object"
        )
    op = _get(raw, "op")
    if not isinstance(op, str):
        raise InvalidSyntaxException(detail="Each PATCH operation needs an 'op'")
    op = op.lower()
    path = _get(raw, "path")
    value = _get(raw, "value")
    if op in ("add", "replace") and not any(k.lower() == "value" for k in raw):
        # RFC 7644 §3.5.2.1/3: they MUST carry a value; "value": null (Entra's
        # way to clear) is a value, its absence is not.
        raise InvalidValueException(detail=f"An '{op}' operation needs a 'value'")
    if path is None:
        return _pathless(op, value)
    if not isinstance(path, str):
        raise InvalidSyntaxException(detail="'path' must be a string")
    return [_with_path(op, path, value)]


def _with_path(op: str, path: str, value: Any) -> dict[str, Any]:
    if op == "remove":
        return {"op": op, "path": _manager_path(path)} | (
            {} if value is None else {"value": value}
        )
    if _is_clear(value) or (_is_manager(path) and value == {"value": ""}):
        # LDAP cannot hold an empty string: clearing is removing.
        return {"op": "remove", "path": path}
    if _is_manager(path) and isinstance(value, str):
        value = {"value": value}
    if path.lower() == "members":
        value = _member_list(value)
    return {"op": op, "path": path, "value": value}


def _manager_path(path: str) -> str:
    """``manager[value eq "x"]`` removes the single-valued manager."""
    head = path.split("[", 1)[0]
    return head if "[" in path and _is_manager(head) else path


def _member_list(value: Any) -> Any:
    if isinstance(value, str):
        return [{"value": value}]
    if isinstance(value, dict):
        return [value]
    return value


def _pathless(op: str, value: Any) -> list[dict[str, Any]]:
    if op == "remove":
        # RFC 7644 §3.5.2.2: a remove without path fails with noTarget.
        raise NoTargetException(detail="A 'remove' operation needs a 'path'")
    if not isinstance(value, dict):
        raise InvalidSyntaxException(
            detail=f"A '{op}' operation without 'path' needs an object 'value'"
        )
    kept: dict[str, Any] = {}
    cleared: list[dict[str, Any]] = []
    filtered: list[dict[str, Any]] = []
    for key, item in value.items():
        if key.lower() == _ENTERPRISE and isinstance(item, dict):
            sub_kept, sub_cleared = _split_extension(op, key, item)
            if sub_kept:
                kept[key] = sub_kept
            cleared.extend(sub_cleared)
        elif _is_clear(item):
            cleared.append({"op": "remove", "path": key})
        elif "[" in key:
            # A value-path key (emails[type eq "work"].value) names what a
            # path would: scim2-models would ignore it inside a value.
            filtered.append({"op": op, "path": key, "value": item})
        elif _is_manager(key) and isinstance(item, str):
            kept[key] = {"value": item}
        elif key.lower() == "members":
            kept[key] = _member_list(item)
        else:
            kept[key] = item
    head = [{"op": op, "value": kept}] if kept else []
    return head + filtered + cleared


def _split_extension(
    op: str, urn: str, extension: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kept: dict[str, Any] = {}
    cleared: list[dict[str, Any]] = []
    for key, item in extension.items():
        if _is_clear(item):
            cleared.append({"op": "remove", "path": f"{urn}:{key}"})
        elif key.lower() == "manager" and isinstance(item, str):
            kept[key] = {"value": item}
        else:
            kept[key] = item
    return kept, cleared
