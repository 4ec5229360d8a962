"""What an existing slapd needs for a mapping, as LDIF changes to cn=config.

The private slapd gets all of this when it is built (:mod:`config`); a
production directory already has its database, so the same settings come
as changes an admin applies with ``ldapmodify -c -Y EXTERNAL -H ldapi:///``:
overlay modules, sorted member values, one equality (and substring) index
per mapped attribute, and the unique, refint, sssvlv and deref overlays.
Each change stands alone, so that ``-c`` skips what is already there
(``value exists``, ``already exists``) and applies the rest.
"""

from collections.abc import Iterator

from bridge.slapd.config import (
    frontend_sort_values,
    index_lines,
    overlay_entries,
)
from bridge.slapd.ldif import render_entry
from bridge.slapd.spec import SlapdSpec

__all__ = ["OVERLAY_MODULES", "render_tuning"]

OVERLAY_MODULES = ("deref", "sssvlv", "unique", "refint")
"""The overlays the bridge relies on (syncprov is the admin's choice)."""


def _modify(dn: str, op: str, name: str, value: str) -> str:
    head = render_entry(dn, [("changetype", "modify"), (op, name), (name, value)])
    return head.removesuffix("\n") + "-\n\n"


def _changes(spec: SlapdSpec, database: str, modules: str) -> Iterator[str]:
    for module in OVERLAY_MODULES:
        yield _modify(modules, "add", "olcModuleLoad", module)
    # add, not replace: sorted values the admin has for other attributes
    # stay (slapd then refuses this change, and -c goes on).
    yield _modify(
        "olcDatabase={-1}frontend,cn=config",
        "add",
        "olcSortVals",
        frontend_sort_values(spec),
    )
    for line in index_lines(spec):
        yield _modify(database, "add", "olcDbIndex", line)
    for dn, attributes in overlay_entries(spec, database, numbered=False):
        if dn.split(",", 1)[0].removeprefix("olcOverlay=") not in OVERLAY_MODULES:
            continue
        yield render_entry(dn, [("changetype", "add"), *attributes])


def render_tuning(
    spec: SlapdSpec,
    database: str = "olcDatabase={1}mdb,cn=config",
    modules: str = "cn=module{0},cn=config",
) -> str:
    """The LDIF changes that give ``database`` what ``spec`` asks for."""
    head = (
        f"# scim-ldap-bridge: slapd settings for the database {database}\n"
        "# apply with: ldapmodify -c -Y EXTERNAL -H ldapi:/// -f THIS_FILE\n\n"
    )
    return head + "".join(_changes(spec, database, modules))
