"""What the bridge knows of the LDAP attributes it writes, and the filter
assertions (RFC 4515) their matching rules allow.

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

The second half builds terms: LDAP filter strings, or ``True``/``False``
where the answer is known without asking, folded away by ``and_``, ``or_``
and ``not_``. :func:`compare_text` is one string comparison under one
attribute's rules and one SCIM case rule; ``filters.py`` says why each
choice keeps SCIM's meaning.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scim2_models import InvalidFilterException, InvalidValueException
from scim2_models.path import CompareOperator as Op

from .model import AttributeMap, Kind, Matching

__all__ = [
    "SUBSTRING",
    "CannotCompare",
    "LdapRules",
    "Term",
    "and_",
    "compare_text",
    "escape_filter_value",
    "native_ordering",
    "not_",
    "or_",
    "present",
    "refuse",
    "rules_for",
]

Term = str | bool


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


# -- filter terms -------------------------------------------------------------

_ORDERING = {Op.gt, Op.ge, Op.lt, Op.le}
SUBSTRING = {Op.co: "*{}*", Op.sw: "{}*", Op.ew: "*{}"}
# The extensible equality that gives an LDAP attribute the other case rule.
_EXACT_EQ = {
    Matching.case_ignore: "caseExactMatch",
    Matching.ia5_ignore: "caseExactIA5Match",
    Matching.telephone: "caseExactMatch",
}
_IGNORE_EQ = {
    Matching.case_exact: "caseIgnoreMatch",
    Matching.telephone: "caseIgnoreMatch",
}


def escape_filter_value(value: str) -> str:
    """Escape an assertion value (RFC 4515 §3): no value can add syntax.

    Every byte outside printable ASCII is escaped, and so are ``*()\\`` and
    the space: ldap3 strips spaces around an assertion value before sending.
    """
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        # A lone surrogate (JSON "\ud800") has no UTF-8 form.
        raise InvalidValueException(detail="values must be valid Unicode text") from exc
    return "".join(
        chr(byte) if 0x20 < byte < 0x7F and byte not in b"*()\\" else f"\\{byte:02x}"
        for byte in raw
    )


def _join(operator: str, terms: Iterable[Term], absorbing: bool) -> Term:
    """``&`` or ``|`` of terms: constants fold, nested joins of the same
    operator are spliced in, repeats are dropped."""
    parts: list[str] = []
    for term in terms:
        if term is absorbing:
            return absorbing
        if isinstance(term, bool) or term in parts:
            continue
        parts.append(term)
    if not parts:
        return not absorbing
    if len(parts) == 1:
        return parts[0]
    opening = "(" + operator
    return (
        opening
        + "".join(part[2:-1] if part.startswith(opening) else part for part in parts)
        + ")"
    )


def and_(terms: Iterable[Term]) -> Term:
    return _join("&", terms, absorbing=False)


def or_(terms: Iterable[Term]) -> Term:
    return _join("|", terms, absorbing=True)


def not_(term: Term) -> Term:
    if isinstance(term, bool):
        return not term
    # A term is one well-formed filter, so "(!" opens a NOT around the rest.
    return term[2:-1] if term.startswith("(!") else f"(!{term})"


def present(attr: str) -> str:
    return f"({attr}=*)"


class CannotCompare(InvalidFilterException):
    """A comparison the directory cannot evaluate exactly on a mapped
    attribute. Unlike an unknown attribute, it does not matter where the
    rest of an ``and`` is false (or of an ``or`` true): the fax number in
    ``phoneNumbers[type eq "mobile" and value eq "x"]``."""


def refuse(detail: str) -> CannotCompare:
    return CannotCompare(detail=detail)


def compare_text(attr: str, op: Op, value: Any, rules: LdapRules, exact: bool) -> Term:
    """A string comparison other than ``ne`` on one LDAP attribute."""
    if not rules.equality:
        raise refuse(f"the directory cannot compare values of {attr}; use 'pr' only")
    if not isinstance(value, str):
        if op in SUBSTRING:
            return False  # scim2-models: substrings of a non-string match nothing
        raise refuse(f"'{op.value}' on {attr} needs a string value")
    if op in SUBSTRING:
        _check_substrings(attr, op, rules, exact)
    if op in _ORDERING:
        _check_ordering(attr, op, rules, exact)
    if value == "":
        return _empty(attr, op)
    if rules.ascii_only and not value.isascii():
        return False  # nothing stored in IA5 holds it; slapd would say Undefined
    escaped = _escaped_assertion(value)
    if op is Op.eq:
        return _equal(attr, escaped, rules, exact)
    _check_spaces(op, value)
    if op in SUBSTRING:
        return f"({attr}={SUBSTRING[op].format(escaped)})"
    return _ordering(attr, op, escaped, rules, exact)


def _escaped_assertion(value: str) -> str:
    try:
        return escape_filter_value(value)
    except InvalidValueException as exc:
        raise refuse("filter values must be valid Unicode text") from exc


def _empty(attr: str, op: Op) -> Term:
    """``""`` compared with stored values, none of which is empty."""
    if op in (Op.eq, Op.lt, Op.le):
        return False
    return present(attr)  # co, sw, ew, gt, ge: every value qualifies


def _check_substrings(attr: str, op: Op, rules: LdapRules, exact: bool) -> None:
    if not rules.substrings or _equality_rule(rules, exact) is not None:
        raise refuse(
            f"'{op.value}' cannot be evaluated exactly on {attr}: its directory"
            " substrings rule differs from SCIM's comparison rules"
        )


def _check_ordering(attr: str, op: Op, rules: LdapRules, exact: bool) -> None:
    if rules.ordering != _ordering_rule(exact) and not rules.borrow:
        raise refuse(
            f"'{op.value}' is not supported on {attr}: the directory has no"
            " ordering rule for it"
        )


def _check_spaces(op: Op, text: str) -> None:
    irregular = (
        text != text.strip(" ")
        or "  " in text
        or any(c != " " and unicodedata.category(c) == "Zs" for c in text)
    )
    if irregular:
        raise refuse(
            f"'{op.value}' cannot use a value with leading, trailing, repeated"
            " or non-ASCII spaces: the directory ignores such spaces"
        )


def _equality_rule(rules: LdapRules, exact: bool) -> str | None:
    """The extensible rule giving SCIM's case rule, or None for the plain one."""
    return (_EXACT_EQ if exact else _IGNORE_EQ).get(rules.matching)


def _ordering_rule(exact: bool) -> str:
    return "caseExactOrderingMatch" if exact else "caseIgnoreOrderingMatch"


def _equal(attr: str, value: str, rules: LdapRules, exact: bool) -> str:
    rule = _equality_rule(rules, exact)
    if rule is None:
        return f"({attr}={value})"
    term = f"({attr}:{rule}:={value})"
    if exact and rules.matching in (Matching.case_ignore, Matching.ia5_ignore):
        # The plain equality is indexed and finds a superset: slapd starts there.
        return f"(&({attr}={value}){term})"
    return term


def _ordering(attr: str, op: Op, value: str, rules: LdapRules, exact: bool) -> Term:
    rule = _ordering_rule(exact)
    equal = _equal(attr, value, rules, exact)
    if rules.ordering == rule:
        return native_ordering(attr, op, value, equal)
    below = f"({attr}:{rule}:={value})"
    # openldap.md §5.2: the extensible ordering match means "less than".
    if op is Op.lt:
        return below
    if op is Op.le:
        return or_([below, equal])
    at_least = and_([present(attr), not_(below)])
    return at_least if op is Op.ge else and_([at_least, not_(equal)])


def native_ordering(attr: str, op: Op, value: str, equal: str) -> Term:
    if op is Op.ge:
        return f"({attr}>={value})"
    if op is Op.le:
        return f"({attr}<={value})"
    if op is Op.gt:
        return and_([f"({attr}>={value})", not_(equal)])
    return and_([f"({attr}<={value})", not_(equal)])
