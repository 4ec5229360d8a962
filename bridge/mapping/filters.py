"""SCIM filters (RFC 7644 §3.4.2.2) as LDAP filter strings (RFC 4515).

Every filter is evaluated by slapd; nothing is post-filtered in Python, so
``totalResults`` never lies. Where LDAP cannot say exactly what SCIM means,
the translator refuses with ``invalidFilter`` instead of guessing.

Terms are LDAP filter strings, or ``True``/``False`` where the answer is
known without asking (``emails[type eq "home"]`` when only work mail is
stored); constants fold away in ``and``, ``or`` and ``not``.
"""

from collections.abc import Iterable, Mapping as AbcMapping
from typing import Any

from scim2_models import InvalidFilterException, Schema
from scim2_models.path import (
    AttrPath,
    CompareOperator as Op,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from .convert import iso_to_generalized
from .ldapschema import LdapRules, rules_for
from .model import AttributeMap, Kind, Matching, ResourceMap

__all__ = ["Term", "escape_filter_value", "referenced_ids", "translate"]

Term = str | bool
_META = {"created": "createTimestamp", "lastmodified": "modifyTimestamp"}
_ORDERING = {Op.gt, Op.ge, Op.lt, Op.le}
_SUBSTRING = {Op.co: "*{}*", Op.sw: "{}*", Op.ew: "*{}"}
_EXACT_EQ = {Matching.case_ignore: "caseExactMatch", Matching.ia5_ignore: "caseExactIA5Match"}


def escape_filter_value(value: str) -> str:
    """Escape an assertion value (RFC 4515 §3): no value can add syntax."""
    out = []
    for char in value:
        if char in "*()\\" or ord(char) < 0x20:
            out.append(f"\\{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


def _and(terms: Iterable[Term]) -> Term:
    kept: list[str] = []
    for term in terms:
        if term is False:
            return False
        if term is not True:
            kept.append(term)
    if not kept:
        return True
    return kept[0] if len(kept) == 1 else "(&" + "".join(kept) + ")"


def _or(terms: Iterable[Term]) -> Term:
    kept: list[str] = []
    for term in terms:
        if term is True:
            return True
        if term is not False:
            kept.append(term)
    if not kept:
        return False
    return kept[0] if len(kept) == 1 else "(|" + "".join(kept) + ")"


def _not(term: Term) -> Term:
    return (not term) if isinstance(term, bool) else f"(!{term})"


def _present(attr: str) -> str:
    return f"({attr}=*)"


def _bad(detail: str) -> InvalidFilterException:
    return InvalidFilterException(detail=detail)


class _Scope:
    """What attribute names mean where a filter is read."""

    def __init__(
        self, rmap: ResourceMap, schemas: tuple[Schema, ...], refs: AbcMapping[str, str]
    ) -> None:
        self.rmap = rmap
        self.refs = refs
        self.core = str(schemas[0].id)
        self.case_exact = _case_table(schemas)

    def entries(self, path: AttrPath) -> list[AttributeMap]:
        """Mapping entries for a filter path's attribute (any sub, any type)."""
        uri = path.uri
        if uri is not None and uri.lower() == self.core.lower():
            uri = None
        found = [
            item
            for item in self.rmap.attributes
            if item.target.attr.lower() == path.attr.lower()
            and (uri is None or (item.target.uri or "").lower() == uri.lower())
        ]
        if uri is None:
            core = [item for item in found if item.target.uri is None]
            found = core or found
        return found

    def is_case_exact(self, item: AttributeMap) -> bool:
        target = item.target
        key = (target.attr.lower(), (target.sub or "").lower())
        return self.case_exact.get(key, False)


def _case_table(schemas: tuple[Schema, ...]) -> dict[tuple[str, str], bool]:
    table = {("id", ""): True, ("externalid", ""): True}
    for schema in schemas:
        for attr in schema.attributes or []:
            name = (attr.name or "").lower()
            table[(name, "")] = bool(attr.case_exact)
            for sub in attr.sub_attributes or []:
                table[(name, (sub.name or "").lower())] = bool(sub.case_exact)
    return table


def _compare_text(attr: str, op: Op, text: str, rules: LdapRules, exact: bool) -> Term:
    if not rules.equality:
        raise _bad(f"the directory cannot compare values of {attr}; use 'pr' only")
    value = escape_filter_value(text)
    if op in (Op.eq, Op.ne):
        term = _equal(attr, value, rules, exact)
        return term if op is Op.eq else _not(term)
    if op in _SUBSTRING:
        return _substring(attr, op, value, rules, exact)
    return _ordering(attr, op, value, rules, exact)


def _equal(attr: str, value: str, rules: LdapRules, exact: bool) -> str:
    if exact and rules.matching in _EXACT_EQ:
        return f"({attr}:{_EXACT_EQ[rules.matching]}:={value})"
    if not exact and rules.matching is Matching.case_exact:
        return f"({attr}:caseIgnoreMatch:={value})"
    return f"({attr}={value})"


def _substring(attr: str, op: Op, value: str, rules: LdapRules, exact: bool) -> str:
    ldap_exact = rules.matching is Matching.case_exact
    if not rules.substrings or exact != ldap_exact:
        raise _bad(
            f"'{op.value}' cannot be evaluated exactly on this attribute: its"
            " directory matching rule differs from SCIM's case rules"
        )
    return f"({attr}={_SUBSTRING[op].format(value)})"


def _ordering(attr: str, op: Op, value: str, rules: LdapRules, exact: bool) -> Term:
    if rules.matching is Matching.case_exact and rules.ordering and exact:
        return _native_ordering(attr, op, value)
    if rules.matching not in (Matching.case_ignore, Matching.case_exact):
        raise _bad(
            f"'{op.value}' is not supported on this attribute: the directory"
            " has no ordering rule for it"
        )
    rule = "caseExactOrderingMatch" if exact else "caseIgnoreOrderingMatch"
    below = f"({attr}:{rule}:={value})"
    equal = _equal(attr, value, rules, exact)
    # openldap.md §5.2: the extensible ordering match means "less than".
    if op is Op.lt:
        return below
    if op is Op.le:
        return _or([below, equal])
    at_least = _and([_present(attr), _not(below)])
    return at_least if op is Op.ge else _and([at_least, _not(equal)])


def _native_ordering(attr: str, op: Op, value: str) -> Term:
    if op is Op.ge:
        return f"({attr}>={value})"
    if op is Op.le:
        return f"({attr}<={value})"
    if op is Op.gt:
        return _and([f"({attr}>={value})", _not(f"({attr}={value})")])
    return _and([_present(attr), _not(f"({attr}>={value})")])


class _Translator(FilterVisitor[Term]):
    """Walks a filter tree; ``element`` is set inside a value path."""

    def __init__(self, scope: _Scope, element: tuple[str, str] | None = None) -> None:
        self.scope = scope
        self.element = element

    def visit_logical_expr(self, node: LogicalExpr) -> Term:
        terms = [self.visit(term) for term in node.terms]
        return _and(terms) if node.op is LogicalOperator.and_ else _or(terms)

    def visit_not(self, node: Not) -> Term:
        return _not(self.visit(node.expr))

    def visit_present(self, node: Present) -> Term:
        return self._attribute(node.attr_path, None, None)

    def visit_comparison(self, node: Comparison) -> Term:
        return self._attribute(node.attr_path, node.op, node.value)

    def visit_value_path(self, node: ValuePath) -> Term:
        if self.element is not None:
            raise _bad("value paths cannot be nested")
        if node.attr_path.attr.lower() == "members":
            return _Translator(self.scope, ("members", "")).visit(node.val_filter)
        types = self._types(node.attr_path)
        return _or(
            _and([self._exists(node.attr_path, kind), self._inside(node, kind)])
            for kind in types
        )

    def _inside(self, node: ValuePath, kind: str) -> Term:
        return _Translator(self.scope, (node.attr_path.attr, kind)).visit(node.val_filter)

    def _types(self, path: AttrPath) -> list[str]:
        entries = self.scope.entries(path)
        types = [e.target.type for e in entries if e.target.type]
        if not types:
            raise _bad(f"{path} is not a multi-valued attribute this bridge stores")
        return list(dict.fromkeys(types))

    def _exists(self, path: AttrPath, kind: str) -> Term:
        return _or(
            _present(e.ldap)
            for e in self.scope.entries(path)
            if (e.target.type or "").lower() == kind.lower()
        )

    def _attribute(self, path: AttrPath, op: Op | None, value: Any) -> Term:
        if self.element is not None:
            return self._element_attribute(path, op, value)
        name = path.attr.lower()
        if name == "id":
            return self._id(op, value)
        if name == "meta":
            return self._meta(path, op, value)
        if name == "members":
            return self._members(op, value)
        entries = self.scope.entries(path)
        if not entries:
            raise _bad(f"'{path}' is not an attribute this bridge stores")
        if any(e.target.type for e in entries):
            return self._typed(path, entries, op, value)
        sub = (path.sub_attr or "").lower()
        chosen = [e for e in entries if (e.target.sub or "").lower() == sub]
        if not chosen and op is None and not sub:
            return _or(_present(e.ldap) for e in entries)
        if not chosen and entries[0].kind is Kind.reference and sub in ("", "value"):
            chosen = entries
        if not chosen:
            raise _bad(f"'{path}' is not an attribute this bridge stores")
        return self._leaf(chosen[0], op, value)

    def _typed(self, path: AttrPath, entries: list[AttributeMap], op: Op | None, value: Any) -> Term:
        sub = (path.sub_attr or "value").lower()
        if sub == "type":
            return _or(
                _and([self._exists(path, kind), _static(op, kind, value)])
                for kind in self._types(path)
            )
        chosen = [e for e in entries if (e.target.sub or "").lower() == sub]
        if not chosen:
            if path.sub_attr is None and op is None:
                return _or(_present(e.ldap) for e in entries)
            raise _bad(f"'{path}' is not an attribute this bridge stores")
        return _or(self._leaf(item, op, value) for item in chosen)

    def _element_attribute(self, path: AttrPath, op: Op | None, value: Any) -> Term:
        attr, kind = self.element or ("", "")
        sub = path.attr.lower()
        if attr == "members":
            if sub != "value":
                raise _bad("members can be selected by value only")
            return self._members(op, value)
        if sub == "type":
            return _static(op, kind, value)
        for item in self.scope.entries(AttrPath(attr)):
            target = item.target
            if (target.type or "").lower() == kind.lower() and (target.sub or "").lower() == sub:
                return self._leaf(item, op, value)
        # Not stored for this type: the sub-attribute is absent.
        return _absent(op, value)

    def _leaf(self, item: AttributeMap, op: Op | None, value: Any) -> Term:
        attr = item.ldap
        if op is None:
            return _present(attr)
        if value is None:
            return _null_compare(attr, op)
        if item.kind is Kind.boolean:
            return self._boolean(item, op, value)
        if item.kind is Kind.reference:
            return self._reference(attr, op, value)
        exact = self.scope.is_case_exact(item)
        return _compare_text(attr, op, str(value), rules_for(item), exact)

    def _boolean(self, item: AttributeMap, op: Op, value: Any) -> Term:
        if op not in (Op.eq, Op.ne) or not isinstance(value, bool):
            raise _bad(f"{item.scim} compares only with eq or ne and true or false")
        term = f"({item.ldap}={'TRUE' if value != item.invert else 'FALSE'})"
        return term if op is Op.eq else _not(term)

    def _reference(self, attr: str, op: Op, value: Any) -> Term:
        if op not in (Op.eq, Op.ne):
            raise _bad("references compare only with eq or ne")
        dn = self.scope.refs.get(str(value))
        term: Term = f"({attr}={escape_filter_value(dn)})" if dn else False
        return term if op is Op.eq else _not(term)

    def _members(self, op: Op | None, value: Any) -> Term:
        attr = self.scope.rmap.members.ldap if self.scope.rmap.members else "member"
        if op is None:
            return _present(attr)
        return self._reference(attr, op, value)

    def _id(self, op: Op | None, value: Any) -> Term:
        if op is None:
            return True
        if op not in (Op.eq, Op.ne):
            raise _bad("id compares only with eq or ne")
        term: Term = _uuid_equal(value)
        return term if op is Op.eq else _not(term)

    def _meta(self, path: AttrPath, op: Op | None, value: Any) -> Term:
        ldap = _META.get((path.sub_attr or "").lower())
        if ldap is None:
            raise _bad(f"'{path}' cannot be filtered on; use meta.created or meta.lastModified")
        if op is None:
            return True
        if op in _SUBSTRING:
            raise _bad(f"'{op.value}' does not apply to dateTime attributes")
        stamp = iso_to_generalized(value)
        if op in (Op.eq, Op.ne):
            term = f"({ldap}={stamp})"
            return term if op is Op.eq else _not(term)
        return _native_ordering(ldap, op, stamp)


def _uuid_equal(value: Any) -> Term:
    text = str(value).lower()
    if len(text) != 36 or any(c not in "0123456789abcdef-" for c in text):
        return False  # not an id this bridge hands out: matches nothing
    return f"(entryUUID={text})"


def _null_compare(attr: str, op: Op) -> Term:
    if op is Op.eq:
        return _not(_present(attr))
    if op is Op.ne:
        return _present(attr)
    raise _bad(f"'{op.value}' cannot compare with null")


def _absent(op: Op | None, value: Any) -> Term:
    if op is None:
        return False
    if op is Op.ne:
        return value is not None
    return op is Op.eq and value is None


def _static(op: Op | None, actual: str, value: Any) -> bool:
    """Compare a constant ``type`` with a filter value, as SCIM would."""
    if op is None:
        return True
    if not isinstance(value, str):
        return op is Op.ne
    left, right = actual.lower(), value.lower()
    checks = {
        Op.eq: left == right, Op.ne: left != right, Op.co: right in left,
        Op.sw: left.startswith(right), Op.ew: left.endswith(right),
        Op.gt: left > right, Op.ge: left >= right,
        Op.lt: left < right, Op.le: left <= right,
    }
    return checks[op]


def translate(
    node: FilterNode,
    rmap: ResourceMap,
    schemas: tuple[Schema, ...],
    refs: AbcMapping[str, str],
) -> Term:
    """The LDAP filter for a SCIM filter over one resource type."""
    return _Translator(_Scope(rmap, schemas, refs)).visit(node)


class _Ids(FilterVisitor[None]):
    def __init__(self, rmap: ResourceMap) -> None:
        self.rmap = rmap
        self.found: set[str] = set()
        self.refs = {i.target.attr.lower() for i in rmap.attributes if i.kind is Kind.reference}
        self.refs.add("members")

    def visit_logical_expr(self, node: LogicalExpr) -> None:
        for term in node.terms:
            self.visit(term)

    def visit_not(self, node: Not) -> None:
        self.visit(node.expr)

    def visit_present(self, node: Present) -> None:
        return None

    def visit_comparison(self, node: Comparison) -> None:
        if node.attr_path.attr.lower() in self.refs | {"value"} and isinstance(node.value, str):
            self.found.add(node.value)

    def visit_value_path(self, node: ValuePath) -> None:
        if node.attr_path.attr.lower() in self.refs:
            self.visit(node.val_filter)


def referenced_ids(node: FilterNode, rmap: ResourceMap) -> set[str]:
    """SCIM ids a filter compares references with, to resolve to DNs first."""
    visitor = _Ids(rmap)
    visitor.visit(node)
    return visitor.found
