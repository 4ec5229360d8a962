"""What the bridge knows of the LDAP attributes it writes.

The filter translator needs each attribute's equality rule, and which
ordering and substring rules it can use (``openldap.md`` §5): ``cn`` has no
ORDERING, so ``ge`` must borrow ``caseIgnoreOrderingMatch`` through an
extensible match, while ``mail`` (IA5) has nothing to borrow. The table
covers the stock schemas and the bridge's own; a mapping entry may state
``matching`` for any other attribute.

Borrowing works because slapd lets the Directory String rules apply to the
syntaxes it declares compatible with Directory String, Telephone Number
among them: ``(telephoneNumber:caseIgnoreMatch:=...)`` and
``(telephoneNumber:caseIgnoreOrderingMatch:=...)`` both work (observed on
2.5.13), while no extensible form of a substrings rule does.
"""

from dataclasses import dataclass

from .model import AttributeMap, Kind, Matching

__all__ = ["LdapRules", "rules_for"]


@dataclass(frozen=True)
class LdapRules:
    """The matching rules of one LDAP attribute, as filters can use them."""

    matching: Matching
    ordering: str | None = None
    """The ORDERING rule the attribute declares, or None."""

    substrings: bool = True
    """Whether its SUBSTR rule agrees with its EQUALITY rule, so that SCIM's
    ``co``/``sw``/``ew`` can use it (and the directory indexes it). False for
    telephone numbers: telephoneNumberSubstringsMatch ignores spaces and
    hyphens, and substrings rules have no extensible form to avoid it."""

    equality: bool = True
    """False for syntaxes with no EQUALITY rule (Facsimile): no filter."""

    borrow: bool = True
    """Whether the caseIgnore*/caseExact* rules apply by extensible match."""

    ascii_only: bool = False
    """IA5 String: no value outside ASCII can be stored or asserted."""


def _equality_only(matching: Matching, *, equality: bool = True) -> LdapRules:
    """Rules of a syntax with no substrings rule and nothing to borrow."""
    return LdapRules(matching, substrings=False, equality=equality, borrow=False)


_IGNORE = LdapRules(Matching.case_ignore)
_TELEPHONE = LdapRules(Matching.telephone, substrings=False)
_KNOWN: dict[str, LdapRules] = {
    "mail": LdapRules(Matching.ia5_ignore, borrow=False, ascii_only=True),
    "scimexternalid": LdapRules(Matching.case_exact, "caseExactOrderingMatch"),
    "telephonenumber": _TELEPHONE,
    "mobile": _TELEPHONE,
    "homephone": _TELEPHONE,
    "pager": _TELEPHONE,
    "facsimiletelephonenumber": _equality_only(Matching.telephone, equality=False),
    "logindisabled": _equality_only(Matching.boolean),
    "manager": _equality_only(Matching.dn),
    "member": _equality_only(Matching.dn),
    "groupmembership": _equality_only(Matching.dn),
}
_BY_MATCHING = {
    Matching.case_ignore: _IGNORE,
    Matching.case_exact: LdapRules(Matching.case_exact),
    Matching.ia5_ignore: _KNOWN["mail"],
    Matching.telephone: _TELEPHONE,
    Matching.boolean: _KNOWN["logindisabled"],
    Matching.dn: _KNOWN["member"],
}
# Postal Address (caseIgnoreListMatch) compares line by line: none of the
# Directory String rules apply, and its substrings rule works per line.
_POSTAL = _equality_only(Matching.case_ignore)


def rules_for(item: AttributeMap) -> LdapRules:
    """The rules of the LDAP attribute a mapping entry writes."""
    if item.kind is Kind.postal:
        return _POSTAL
    if item.matching is not None:
        return _BY_MATCHING[item.matching]
    if item.kind is Kind.boolean:
        return _BY_MATCHING[Matching.boolean]
    if item.kind is Kind.reference:
        return _BY_MATCHING[Matching.dn]
    # Directory String attributes (cn, sn, uid, title, ...) are the rest.
    return _KNOWN.get(item.ldap.lower(), _IGNORE)
