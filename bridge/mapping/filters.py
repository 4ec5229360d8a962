"""SCIM filters (RFC 7644 §3.4.2.2) as LDAP filter strings (RFC 4515).

Every filter is evaluated by slapd; nothing is post-filtered in Python, so
``totalResults`` never lies. Where LDAP cannot say exactly what SCIM means,
the translator refuses with ``invalidFilter`` instead of guessing.

Terms are LDAP filter strings, or ``True``/``False`` where the answer is
known without asking (``emails[type eq "home"]`` when only work mail is
stored); constants fold away in ``and``, ``or`` and ``not``.

How SCIM's meaning is kept (``openldap.md`` §5; scim2-models'
``ScimFilter.match`` is the reference the differential test holds us to):

- Case: a case-exact SCIM attribute on a caseIgnore LDAP attribute is
  compared with the extensible ``caseExactMatch`` (AND-ed with the plain
  equality, which is indexed and finds a superset), the reverse with
  ``caseIgnoreMatch``. Substrings rules have no extensible form, so ``co``,
  ``sw`` and ``ew`` refuse where the two case rules disagree.
- Ordering: the attribute's own ORDERING rule when it has the right one
  (``scimExternalId``, the timestamps, ``entryUUID``), otherwise
  ``caseIgnoreOrderingMatch``/``caseExactOrderingMatch`` by extensible
  match, which means "less than". IA5 (``mail``) has none: invalidFilter.
- Telephone numbers: telephoneNumberMatch ignores spaces and hyphens and
  SCIM does not, so equality and ordering use the caseIgnore rules by
  extensible match, and substrings refuse.
- ``ne`` is the negation of ``eq``, as in scim2-models: true where the
  attribute is absent. ``eq null`` is absence.
- Values the directory would judge "Undefined" are answered here, because
  NOT of Undefined is not true: ``""`` (no stored value is empty) and non
  ASCII values on IA5 attributes fold to constants.
- A value the bridge derived only because LDAP requires the attribute
  (``sn`` from ``displayName``, listed in ``scimDerived``) never matches:
  reads do not return it either.
- Every value is escaped byte by byte (RFC 4515 §3), spaces and non-ASCII
  included, so no value can add syntax and ldap3 cannot trim it.

Deviations that remain, and that the differential test does not generate:

1. Insignificant spaces (RFC 4518 §2.6.1). slapd ignores leading and
   trailing spaces, reads a run of spaces as one and maps every Unicode
   space separator to a space, in stored values and assertions alike:
   ``eq "a b"`` also finds ``"a  b"``. For ``eq``/``ne`` this is the
   directory's own notion of identity (the unique overlay uses it too), so
   an existence check agrees with what a create would clash with. ``co``,
   ``sw``, ``ew`` and ordering refuse a value with leading, trailing or
   repeated spaces, which slapd would drop and so widen the match
   (``sw " "`` would match every value).
2. Unicode. scim2-models compares NFC forms mapped by ``str.lower``; slapd
   prepares with compatibility folding (``"ﬁ"`` equals ``"fi"``) and its own
   case mapping (``"İ"``, ``"ẞ"``, final sigma differ). Both agree on ASCII
   and on precomposed or decomposed accented letters.
3. Multi-valued LDAP attributes. The bridge writes one value per attribute;
   a second value written by another tool makes ``gt``/``ge`` (NOT of "less
   than") disagree with SCIM's "any value" reading.
4. A dateTime without a time zone is read as UTC (scim2-models compares it
   with nothing); the directory keeps whole seconds.
5. A reference whose entry is gone (``manager``) still matches ``pr`` until
   refint removes it (``openldap.md`` §7); reads already drop it.
6. ``manager eq "<id>"``, Entra's legacy form (``entra-client.md`` §4), is
   read as ``manager.value eq``; scim2-models compares the whole complex
   value with the string and matches nothing.
"""

import unicodedata
from collections.abc import Mapping as AbcMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from scim2_models import InvalidFilterException, Schema
from scim2_models.path import (
    AttrPath,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from scim2_models.path import CompareOperator as Op

from .convert import DERIVED
from .ldapschema import (
    SUBSTRING,
    CannotCompare,
    Term,
    and_,
    compare_text,
    escape_filter_value,
    native_ordering,
    not_,
    or_,
    present,
    refuse,
    rules_for,
)
from .model import AttributeMap, Kind, ResourceMap

__all__ = ["Term", "escape_filter_value", "referenced_ids", "translate"]

_META = {"created": "createTimestamp", "lastmodified": "modifyTimestamp"}
_UUID_DASHES = (8, 13, 18, 23)
_DATETIME = TypeAdapter(datetime)


def _bad(detail: str) -> InvalidFilterException:
    return InvalidFilterException(detail=detail)


def _fold(text: str) -> str:
    """What scim2-models compares in place of a case-insensitive string."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


class _Scope:
    """What attribute names mean where a filter is read."""

    def __init__(
        self, rmap: ResourceMap, schemas: tuple[Schema, ...], refs: AbcMapping[str, str]
    ) -> None:
        self.rmap = rmap
        self.refs = refs
        self.core = str(schemas[0].id)
        self.resource_type = schemas[0].name or ""
        self.case_exact = _case_tables(schemas)

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


_CASE_TABLES: dict[
    tuple[int, ...], tuple[tuple[Schema, ...], dict[tuple[str, str], bool]]
] = {}


def _case_tables(schemas: tuple[Schema, ...]) -> dict[tuple[str, str], bool]:
    """The case table of a kind's schemas, built once: every filter reads it.

    Keyed by the schemas' identities; the cached entry holds the schemas so
    that no identity is reused while its table is kept.
    """
    key = tuple(id(schema) for schema in schemas)
    cached = _CASE_TABLES.get(key)
    if cached is None:
        cached = _CASE_TABLES[key] = (schemas, _case_table(schemas))
    return cached[1]


def _case_table(schemas: tuple[Schema, ...]) -> dict[tuple[str, str], bool]:
    table = {("id", ""): True, ("externalid", ""): True}
    for schema in schemas:
        for attr in schema.attributes or []:
            name = (attr.name or "").lower()
            table[(name, "")] = bool(attr.case_exact)
            for sub in attr.sub_attributes or []:
                table[(name, (sub.name or "").lower())] = bool(sub.case_exact)
    return table


class _Translator(FilterVisitor[Term]):
    """Walks a filter tree; ``element`` is set inside a value path."""

    def __init__(self, scope: _Scope, element: tuple[str, str] | None = None) -> None:
        self.scope = scope
        self.element = element

    def visit_logical_expr(self, node: LogicalExpr) -> Term:
        conjunction = node.op is LogicalOperator.and_
        terms: list[Term] = []
        refused: CannotCompare | None = None
        for child in node.terms:
            try:
                terms.append(self.visit(child))
            except CannotCompare as exc:
                refused = refused or exc
        result = and_(terms) if conjunction else or_(terms)
        # false and X is false, true or X is true, whatever X would be.
        if refused is not None and result is not (not conjunction):
            raise refused
        return result

    def visit_not(self, node: Not) -> Term:
        return not_(self.visit(node.expr))

    def visit_present(self, node: Present) -> Term:
        return self._attribute(node.attr_path, None, None)

    def visit_comparison(self, node: Comparison) -> Term:
        # scim2-models reads "ne" as "no value equals": the negation of "eq",
        # true where the attribute is absent.
        if node.op is Op.ne:
            return not_(self._attribute(node.attr_path, Op.eq, node.value))
        return self._attribute(node.attr_path, node.op, node.value)

    def visit_value_path(self, node: ValuePath) -> Term:
        if self.element is not None:
            raise _bad("value paths cannot be nested")
        if node.attr_path.attr.lower() == "members":
            return _Translator(self.scope, ("members", "")).visit(node.val_filter)
        types = self._types(node.attr_path)
        return or_(
            and_([self._exists(node.attr_path, kind), self._inside(node, kind)])
            for kind in types
        )

    def _inside(self, node: ValuePath, kind: str) -> Term:
        element = _Translator(self.scope, (node.attr_path.attr, kind))
        return element.visit(node.val_filter)

    def _types(self, path: AttrPath) -> list[str]:
        entries = self.scope.entries(path)
        types = [e.target.type for e in entries if e.target.type]
        if not types:
            raise _bad(f"{path} is not a multi-valued attribute this bridge stores")
        return list(dict.fromkeys(types))

    def _exists(self, path: AttrPath, kind: str) -> Term:
        return or_(
            self._leaf(e, None, None)
            for e in self.scope.entries(path)
            if (e.target.type or "").lower() == kind.lower()
        )

    def _attribute(self, path: AttrPath, op: Op | None, value: Any) -> Term:
        """``op`` is never ``ne`` here, and None for a presence test."""
        if self.element is not None:
            return self._element_attribute(path, op, value)
        if op is Op.eq and value is None:
            # scim2-models: "eq null" holds where no value is (RFC 7644
            # §3.4.2.2 leaves it to the service provider).
            return not_(self._attribute(path, None, None))
        name = path.attr.lower()
        if name == "id":
            return _id(op, value)
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
            return or_(self._leaf(e, None, None) for e in entries)
        if not chosen and entries[0].kind is Kind.reference and sub in ("", "value"):
            chosen = entries
        if not chosen:
            raise _bad(f"'{path}' is not an attribute this bridge stores")
        return self._leaf(chosen[0], op, value)

    def _typed(
        self, path: AttrPath, entries: list[AttributeMap], op: Op | None, value: Any
    ) -> Term:
        sub = (path.sub_attr or "value").lower()
        if sub == "type":
            return or_(
                and_([self._exists(path, kind), _static(op, kind, value)])
                for kind in self._types(path)
            )
        chosen = [e for e in entries if (e.target.sub or "").lower() == sub]
        if not chosen:
            if path.sub_attr is None and op is None:
                return or_(self._leaf(e, None, None) for e in entries)
            raise _bad(f"'{path}' is not an attribute this bridge stores")
        return or_(self._leaf(item, op, value) for item in chosen)

    def _element_attribute(self, path: AttrPath, op: Op | None, value: Any) -> Term:
        attr, kind = self.element or ("", "")
        sub = path.attr.lower()
        if attr == "members":
            if sub != "value":
                raise _bad("members can be selected by value only")
            return self._members(op, value)
        if sub == "type":
            return _static(op, kind, value)
        stored = [
            item
            for item in self.scope.entries(AttrPath(attr=attr))
            if (item.target.sub or "").lower() == sub
        ]
        if not stored:
            raise _bad(f"'{attr}.{path.attr}' is not an attribute this bridge stores")
        for item in stored:
            if (item.target.type or "").lower() == kind.lower():
                return self._leaf(item, op, value)
        # Stored for other types only: absent from this element.
        return op is Op.eq and value is None

    def _leaf(self, item: AttributeMap, op: Op | None, value: Any) -> Term:
        """One mapped LDAP attribute; ``op`` None is a presence test."""
        if op is not None and value is None:
            if op is not Op.eq:
                raise refuse(f"'{op.value}' cannot compare with null")
            return not_(self._leaf(item, None, None))
        term = self._positive(item, op, value)
        if item.fallback and term is not False:
            # A fallback (sn from displayName) is no SCIM value: reads skip it.
            return and_([term, f"(!({DERIVED}={escape_filter_value(item.ldap)}))"])
        return term

    def _positive(self, item: AttributeMap, op: Op | None, value: Any) -> Term:
        if op is None:
            return present(item.ldap)
        if item.kind is Kind.boolean:
            return _boolean(item, op, value)
        if item.kind is Kind.reference:
            return self._reference(item.ldap, op, value)
        if item.kind is Kind.postal:
            raise refuse(f"{item.scim} can only be tested with 'pr'")
        exact = self.scope.is_case_exact(item)
        return compare_text(item.ldap, op, value, rules_for(item), exact)

    def _reference(self, attr: str, op: Op, value: Any) -> Term:
        if op is not Op.eq:
            raise refuse("references compare only with eq or ne")
        ident = str(value)
        dn = self.scope.refs.get(ident)
        # Ids are case-exact (RFC 7643 §3.1) and handed out in lower case.
        if not dn or ident != ident.lower():
            return False
        return f"({attr}={escape_filter_value(dn)})"

    def _members(self, op: Op | None, value: Any) -> Term:
        attr = self.scope.rmap.members.ldap if self.scope.rmap.members else "member"
        if op is None:
            return present(attr)
        return self._reference(attr, op, value)

    def _meta(self, path: AttrPath, op: Op | None, value: Any) -> Term:
        sub = (path.sub_attr or "").lower()
        if op is None and sub in ("", "created", "lastmodified", "resourcetype"):
            return True  # the bridge always returns these
        if sub == "resourcetype":
            return _static(op, self.scope.resource_type, value, exact=True)
        ldap = _META.get(sub)
        if ldap is None or op is None:
            raise _bad(
                f"'{path}' cannot be filtered on; use meta.created,"
                " meta.lastModified or meta.resourceType"
            )
        return _timestamp(ldap, op, value)


def _boolean(item: AttributeMap, op: Op | None, value: Any) -> Term:
    if op is not Op.eq or not isinstance(value, bool):
        raise refuse(f"{item.scim} compares only with eq or ne and true or false")
    return f"({item.ldap}={'TRUE' if value != item.invert else 'FALSE'})"


def _id(op: Op | None, value: Any) -> Term:
    """``id`` is the entryUUID, always present, in lower case."""
    if op is None:
        return True
    if op in SUBSTRING:
        raise refuse(f"'{op.value}' does not apply to id")
    text = str(value)
    if not _is_canonical_uuid(text):
        if op is Op.eq:
            return False  # not an id this bridge hands out: matches nothing
        raise refuse(f"'{op.value}' on id needs an id as this bridge writes them")
    equal = f"(entryUUID={text})"
    # UUIDOrderingMatch orders the 16 bytes, as lower-case hex orders.
    return equal if op is Op.eq else native_ordering("entryUUID", op, text, equal)


def _is_canonical_uuid(text: str) -> bool:
    if len(text) != 36:
        return False
    return all(
        (c == "-") if i in _UUID_DASHES else (c in "0123456789abcdef")
        for i, c in enumerate(text)
    )


def _timestamp(attr: str, op: Op, value: Any) -> Term:
    """A dateTime comparison on a generalizedTime kept in whole seconds."""
    if op in SUBSTRING:
        raise refuse(f"'{op.value}' does not apply to dateTime attributes")
    try:
        stamp = _DATETIME.validate_python(value)
    except ValidationError as exc:
        raise refuse(f"{value!r} is not a dateTime") from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    stamp = stamp.astimezone(UTC)
    floor = stamp.replace(microsecond=0)
    whole = floor == stamp
    if op is Op.eq:
        return f"({attr}={_generalized(stamp)})" if whole else False
    if op in (Op.lt, Op.le):
        # Stored seconds below a fraction are those up to its floor.
        last = floor - timedelta(seconds=1) if op is Op.lt and whole else floor
        return f"({attr}<={_generalized(last)})"
    first = floor + timedelta(seconds=1) if op is Op.gt or not whole else floor
    return f"({attr}>={_generalized(first)})"


def _generalized(stamp: datetime) -> str:
    return stamp.strftime("%Y%m%d%H%M%SZ")


def _static(op: Op | None, actual: str, value: Any, *, exact: bool = False) -> bool:
    """Compare a constant (a ``type``) with a filter value, as SCIM would."""
    if op is None:
        return True
    if not isinstance(value, str):
        return False
    left = unicodedata.normalize("NFC", actual) if exact else _fold(actual)
    right = unicodedata.normalize("NFC", value) if exact else _fold(value)
    checks = {
        Op.eq: left == right,
        Op.co: right in left,
        Op.sw: left.startswith(right),
        Op.ew: left.endswith(right),
        Op.gt: left > right,
        Op.ge: left >= right,
        Op.lt: left < right,
        Op.le: left <= right,
    }
    return checks[op]


def translate(
    node: FilterNode,
    rmap: ResourceMap,
    schemas: tuple[Schema, ...],
    refs: AbcMapping[str, str],
) -> Term:
    """The LDAP filter for a SCIM filter over one resource type.

    ``refs`` maps the SCIM ids the filter names (:func:`referenced_ids`) to
    the DNs of the entries they identify; unknown ids match nothing.
    """
    return _Translator(_Scope(rmap, schemas, refs)).visit(node)


class _Ids(FilterVisitor[None]):
    def __init__(self, rmap: ResourceMap) -> None:
        self.rmap = rmap
        self.found: set[str] = set()
        self.refs = {
            i.target.attr.lower() for i in rmap.attributes if i.kind is Kind.reference
        }
        self.refs.add("members")

    def visit_logical_expr(self, node: LogicalExpr) -> None:
        for term in node.terms:
            self.visit(term)

    def visit_not(self, node: Not) -> None:
        self.visit(node.expr)

    def visit_present(self, node: Present) -> None:
        return None

    def visit_comparison(self, node: Comparison) -> None:
        named = node.attr_path.attr.lower()
        if named in self.refs | {"value"} and isinstance(node.value, str):
            self.found.add(node.value)

    def visit_value_path(self, node: ValuePath) -> None:
        if node.attr_path.attr.lower() in self.refs:
            self.visit(node.val_filter)


def referenced_ids(node: FilterNode, rmap: ResourceMap) -> set[str]:
    """SCIM ids a filter compares references with, to resolve to DNs first."""
    visitor = _Ids(rmap)
    visitor.visit(node)
    return visitor.found
