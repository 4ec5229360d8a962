"""Access rules and limits for the service accounts of a :class:`SlapdSpec`.

The policy, least privilege first:

* anonymous clients may bind (the records system opens every connection
  anonymously, records-reader.md section 2) and read the root DSE, nothing
  else; a simple bind only needs ``auth`` on ``userPassword``;
* nobody but the root DN reads or writes a ``userPassword``, nor creates an
  entry that has one: the bridge does not manage passwords, a hash is still
  worth stealing, and a password the bridge chose would let it log in to
  the records system as anyone;
* a *writer* (the bridge) adds, changes and deletes entries below each
  managed unit, and only reads everything else: the suffix, the units
  themselves and the service accounts, including its own;
* a *reader* (the records-system sync) reads the managed units and nothing
  else;
* both run without size, paged-total or time limits, because the records
  system takes a truncated read for a complete one and then removes the
  users it did not see (records-reader.md section 8, hazard 1).

slapd picks the first ``to`` clause that matches an entry and attribute,
then the first ``by`` clause that matches the requester, so the order of
the rules below is part of the policy.
"""

from __future__ import annotations

from bridge.slapd.spec import Role, SlapdSpec

__all__ = ["database_access", "frontend_access", "service_limits"]

_UNLIMITED = "size=unlimited size.prtotal=unlimited time=unlimited"


def frontend_access() -> tuple[str, ...]:
    """Return the frontend rules, which cover entries outside any database."""
    return (
        # Clients discover controls and TLS support from the root DSE.
        'to dn.base="" by * read',
        # The schema is harmless, but "anonymous reads nothing" is simpler
        # to check than a list of harmless exceptions.
        'to dn.base="cn=Subschema" by users read by * none',
    )


def database_access(spec: SlapdSpec) -> tuple[str, ...]:
    """Return the rules of the main database, in evaluation order."""
    rules = ["to attrs=userPassword by anonymous auth by * none"]
    for unit in spec.managed_units:
        rules.extend(_unit_rules(spec, spec.unit_dn(unit)))
    rules.append("to * " + _clauses(spec, writer="read", reader=None))
    return tuple(rules)


def service_limits(spec: SlapdSpec) -> tuple[str, ...]:
    """Return one ``olcLimits`` value per service account."""
    return tuple(f'dn.exact="{a.dn}" {_UNLIMITED}' for a in spec.service_accounts)


def _unit_rules(spec: SlapdSpec, unit_dn: str) -> tuple[str, ...]:
    # Writing "children" of the unit is what lets the writer add and delete
    # entries in it; the unit entry itself stays read-only.
    #
    # slapd checks an add against the new entry's "entry" pseudo-attribute
    # only, never against its attributes, so the userPassword rule above
    # does not stop a writer from creating a user with a password it knows
    # (and then logging in to the records system as that user). Matching
    # such entries by filter and granting read plus delete, without add
    # ("=rscdz"), refuses that add yet lets the writer delete the entry.
    # The price: a rename needs full write on "entry", so the writer cannot
    # rename a user that holds a password. Entra sends none, so no user has
    # one until a separate password feed exists; revisit the rule then.
    return (
        f'to dn.base="{unit_dn}" attrs=children '
        + _clauses(spec, writer="write", reader=None),
        f'to dn.children="{unit_dn}" attrs=entry filter=(userPassword=*) '
        + _clauses(spec, writer="=rscdz", reader="read"),
        f'to dn.children="{unit_dn}" ' + _clauses(spec, writer="write", reader="read"),
        f'to dn.base="{unit_dn}" ' + _clauses(spec, writer="read", reader="read"),
    )


def _clauses(spec: SlapdSpec, *, writer: str | None, reader: str | None) -> str:
    grants: dict[Role, str | None] = {"writer": writer, "reader": reader}
    clauses = [
        f'by dn.exact="{account.dn}" {grants[account.role]}'
        for account in spec.service_accounts
        if grants[account.role] is not None
    ]
    # slapd ends every rule with an implicit "by * none"; spelling it out
    # keeps each rule readable on its own in the generated LDIF.
    clauses.append("by * none")
    return " ".join(clauses)
