"""Group member operations, taken out of a PATCH before it is applied.

scim2-models patches a fully loaded resource; for a 50,000-member group
that means reading every member. Member operations are therefore pulled out
here and turned into value adds and deletes (``libraries-and-conformance.md``
§2.2), so their cost follows the number of members named, not the size of
the group. What is left is patched the ordinary way.
"""

from dataclasses import dataclass, field
from typing import Any

from scim2_models import (
    InvalidFilterException,
    InvalidPathException,
    InvalidValueException,
)
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Path,
    ValuePath,
)

__all__ = ["MemberChanges", "split_member_operations"]


@dataclass
class MemberChanges:
    """What a PATCH does to a group's members, folded in request order:
    ``replace`` (or ``remove_all``) first, then ``add`` and ``remove``,
    which never name one id twice."""

    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    remove_all: bool = False
    replace: list[str] | None = None

    def __bool__(self) -> bool:
        return bool(
            self.add or self.remove or self.remove_all or self.replace is not None
        )

    def count(self) -> int:
        """How many member values the request names."""
        return len(self.add) + len(self.remove) + len(self.replace or [])


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        ident = item.get("value") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident:
            raise InvalidValueException(
                detail='Members are given as [{"value": "<id>"}, ...]'
            )
        found.append(ident)
    return found


def _filter_ids(node: FilterNode) -> list[str]:
    """Ids named by ``value eq "x"`` terms joined with ``or``."""
    if (
        isinstance(node, Comparison)
        and node.attr_path.attr.lower() == "value"
        and node.op is CompareOperator.eq
        and isinstance(node.value, str)
    ):
        return [node.value]
    if isinstance(node, LogicalExpr) and node.op is LogicalOperator.or_:
        return [ident for term in node.terms for ident in _filter_ids(term)]
    raise InvalidFilterException(
        detail='Members are selected with members[value eq "<id>"]'
    )


_GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:group:"


def _is_members(path: str) -> bool:
    head = path.split("[", 1)[0].lower()
    # The URN holds a dot ("2.0"): strip it before cutting a sub-attribute.
    head = head.removeprefix(_GROUP_URN)
    return head.split(".", 1)[0] == "members"


def _add(changes: MemberChanges, ids: list[str]) -> None:
    if changes.replace is not None:
        changes.replace = list(dict.fromkeys([*changes.replace, *ids]))
        return
    added = set(ids)
    changes.remove = [i for i in changes.remove if i not in added]
    changes.add = list(dict.fromkeys([*changes.add, *ids]))


def _remove(changes: MemberChanges, ids: list[str]) -> None:
    gone = set(ids)
    if changes.replace is not None:
        changes.replace = [i for i in changes.replace if i not in gone]
        return
    changes.add = [i for i in changes.add if i not in gone]
    if not changes.remove_all:  # after a remove-all there is nothing to take
        changes.remove = list(dict.fromkeys([*changes.remove, *ids]))


def _apply(changes: MemberChanges, op: str, path: str, value: Any) -> None:
    """Fold one operation in: the later of an add and a remove of one id
    wins (RFC 7644 §3.5.2 applies operations in order), and after a
    replace or remove-all the list is the whole membership."""
    if "[" in path:
        if op != "remove":
            raise InvalidPathException(
                detail="Only 'remove' takes a members filter path"
            )
        parsed = Path(path).ast
        if not isinstance(parsed, ValuePath) or parsed.sub_attr is not None:
            raise InvalidPathException(detail=f"{path!r} is not a members selection")
        _remove(changes, _filter_ids(parsed.val_filter))
    elif op == "add":
        _add(changes, _ids(value))
    elif op == "remove" and value is None:
        changes.remove_all = True
        changes.replace = None
        changes.add.clear()
        changes.remove.clear()
    elif op == "remove":
        # Entra's default dialect: the value list selects what goes.
        _remove(changes, _ids(value))
    else:
        changes.replace = list(dict.fromkeys(_ids(value))) if value else []
        changes.add.clear()
        changes.remove.clear()


def split_member_operations(
    operations: list[dict[str, Any]],
) -> tuple[MemberChanges, list[dict[str, Any]]]:
    """Separate member operations from the rest of a normalised PATCH."""
    changes = MemberChanges()
    rest: list[dict[str, Any]] = []
    for operation in operations:
        op, path, value = operation["op"], operation.get("path"), operation.get("value")
        if path is not None and _is_members(path):
            _apply(changes, op, path, value)
        elif path is None and isinstance(value, dict) and _has_members(value):
            value = dict(value)
            members = value.pop(next(k for k in value if k.lower() == "members"))
            _apply(changes, op, "members", members)
            if value:
                rest.append({"op": op, "value": value})
        else:
            rest.append(operation)
    return changes, rest


def _has_members(value: dict[str, Any]) -> bool:
    return any(key.lower() == "members" for key in value)
