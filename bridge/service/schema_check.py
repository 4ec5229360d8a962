"""The mapping against the directory's schema, checked once at start-up."""

from ..directory.subschema import Subschema
from ..mapping.model import Mapping

__all__ = ["schema_problems"]


def schema_problems(mapping: Mapping, schema: Subschema) -> list[tuple[str, str]]:
    """(mapping key, problem) for every class the directory lacks and every
    LDAP attribute it does not define, or that the entry's object classes
    do not allow: each would fail later writes with the client blamed."""
    problems: list[tuple[str, str]] = []
    groups = mapping.groups
    link = groups.members.back_link if groups.members else None
    for section, rmap in (("users", mapping.users), ("groups", groups)):
        classes = rmap.object_classes
        unknown = schema.unknown_classes(classes)
        if unknown:
            problems.append(
                (
                    f"{section}.object_classes",
                    f"the directory has no object class {', '.join(unknown)}",
                )
            )
            continue
        wanted = [
            (f"{section}.attributes.{index}.ldap", item.ldap)
            for index, item in enumerate(rmap.attributes)
        ]
        if section == "groups" and groups.members is not None:
            wanted.append(("groups.members.ldap", groups.members.ldap))
        if section == "users" and link:
            wanted.append(("groups.members.back_link", link))
        seen: dict[str, str] = {}
        for key, name in wanted:
            if not schema.knows(name):
                problems.append((key, f"the directory has no attribute type {name!r}"))
            elif not schema.allows(classes, name):
                problems.append(
                    (key, f"{name!r} is not allowed by {' + '.join(classes)}")
                )
            elif schema.canonical(name) in seen:
                # commonName and cn: one attribute, written twice per request.
                other = seen[schema.canonical(name)]
                problems.append((key, f"{name!r} is the attribute {other!r} again"))
            else:
                seen[schema.canonical(name)] = name
        missing = sorted(schema.required(classes) - set(seen))
        if missing:
            need = f"{' + '.join(classes)} require {', '.join(missing)}"
            problems.append(
                (
                    f"{section}.object_classes",
                    (
                        f"{need}, which the mapping does not write: every create"
                        " would fail"
                    ),
                )
            )
    return problems
