"""What the bridge knows of the LDAP attributes it writes.

The filter translator needs each attribute's equality rule, and whether it
has ordering and substring rules (``openldap.md`` §5): ``cn`` has no
ORDERING, so ``ge`` must borrow ``caseIgnoreOrderingMatch`` through an
extensible match, while ``mail`` (IA5) has nothing to borrow. The table
covers the stock schemas and the bridge's own; a mapping entry may state
``matching`` for any other attribute.
"""

from dataclasses import dataclass

from .model import AttributeMap, Kind, Matching

__all__ = ["LdapRules", "rules_for"]


@dataclass(frozen=True)
class LdapRules:
    """The matching rules of one LDAP attribute."""

    matching: Matching
    ordering: str | None
    """The ORDERING rule the attribute declares, or None."""

    substrings: bool = True
    equality: bool = True
    """False for syntaxes with no EQUALITY rule (Facsimile): no filter."""


_IGNORE = LdapRules(Matching.case_ignore, None)
_KNOWN: dict[str, LdapRules] = {
    "mail": LdapRules(Matching.ia5_ignore, None),
    "scimexternalid": LdapRules(Matching.case_exact, "caseExactOrderingMatch"),
    "telephonenumber": LdapRules(Matching.telephone, None),
    "mobile": LdapRules(Matching.telephone, None),
    "facsimiletelephonenumber": LdapRules(
        Matching.telephone, None, substrings=False, equality=False
    ),
    "homephone": LdapRules(Matching.telephone, None),
    "pager": LdapRules(Matching.telephone, None),
    "loginDisabled".lower(): LdapRules(Matching.boolean, None, substrings=False),
    "manager": LdapRules(Matching.dn, None, substrings=False),
    "member": LdapRules(Matching.dn, None, substrings=False),
    "groupmembership": LdapRules(Matching.dn, None, substrings=False),
    "employeenumber": _IGNORE,
    "preferredlanguage": _IGNORE,
}
_BY_MATCHING = {
    Matching.case_ignore: _IGNORE,
    Matching.case_exact: LdapRules(Matching.case_exact, None),
    Matching.ia5_ignore: LdapRules(Matching.ia5_ignore, None),
    Matching.telephone: LdapRules(Matching.telephone, None),
    Matching.boolean: LdapRules(Matching.boolean, None, substrings=False),
    Matching.dn: LdapRules(Matching.dn, None, substrings=False),
}


def rules_for(item: AttributeMap) -> LdapRules:
    """The rules of the LDAP attribute a mapping entry writes."""
    if item.matching is not None:
        return _BY_MATCHING[item.matching]
    if item.kind is Kind.boolean:
        return _BY_MATCHING[Matching.boolean]
    if item.kind is Kind.reference:
        return _BY_MATCHING[Matching.dn]
    # Directory String attributes (cn, sn, uid, title, ...) are the rest.
    return _KNOWN.get(item.ldap.lower(), _IGNORE)
