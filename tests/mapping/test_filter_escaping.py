"""No filter value can change the meaning of the LDAP filter (RFC 4515 §3).

The translated filter is read back with ldap3's own parser, the one the
directory layer sends it through: it must be one well-formed filter of the
expected shape, whose assertion value is exactly the SCIM value's bytes.
"""

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ldap3.operation.search import (
    AND,
    MATCH_EQUAL,
    MATCH_EXTENSIBLE,
    MATCH_SUBSTRING,
    OR,
    FilterNode,
    compile_filter,
    parse_filter,
)
from ldap3.protocol.convert import prepare_filter_for_sending
from scim2_models import InvalidFilterException, InvalidValueException

from bridge.mapping.filters import escape_filter_value
from tests.mapping.support import ldap_filter

_SPECIALS = "*()\\\x00 \t\n\"'=<>~:&|!aZé€😀\u00a0\u3000"
VALUES = st.one_of(st.text(), st.text(alphabet=st.sampled_from(_SPECIALS)))


def _parsed(term: object) -> FilterNode:
    """The single filter ldap3 reads from a term; it must also compile."""
    assert isinstance(term, str)
    root = parse_filter(term, None, True, True, None, False)
    assert len(root.elements) == 1
    compile_filter(root.elements[0])
    return root.elements[0]


def _sent(escaped: bytes) -> bytes:
    """The bytes ldap3 puts on the wire for an escaped assertion value."""
    return prepare_filter_for_sending(escaped)


def _quoted(value: str) -> str:
    return json.dumps(value)


def _irregular_spaces(value: str) -> bool:
    return (
        value != value.strip(" ")
        or "  " in value
        or any(c != " " and unicodedata.category(c) == "Zs" for c in value)
    )


def test_each_special_character_is_escaped_as_its_bytes():
    """* ( ) \\ NUL, the space and non-ASCII travel as \\xx escapes."""
    escaped = escape_filter_value("*()\\\x00 é")

    assert escaped == r"\2a\28\29\5c\00\20\c3\a9"


def test_escaping_a_value_that_is_not_unicode_text_is_an_invalid_value():
    """Writes escape too (uniqueness checks): a lone surrogate is refused
    as a value, not as a filter."""
    with pytest.raises(InvalidValueException, match="Unicode"):
        escape_filter_value("a\ud800")


def test_a_value_that_is_not_unicode_text_is_an_invalid_filter():
    """A lone surrogate (JSON "\\ud800") has no UTF-8 form to send."""
    with pytest.raises(InvalidFilterException, match="Unicode"):
        ldap_filter('userName eq "\\ud800"')


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([("userName", "uid"), ("externalId", "scimExternalId")]))
def test_any_equality_value_is_one_equality_assertion_of_that_value(value, names):
    """userName or externalId eq <anything>: one equality asserting exactly
    the value's bytes, case-ignoring or case-exact alike."""
    scim, ldap = names

    term = ldap_filter(f"{scim} eq {_quoted(value)}")

    if value == "":
        assert term is False
        return
    node = _parsed(term)
    assert (node.tag, node.assertion["attr"]) == (MATCH_EQUAL, ldap)
    assert _sent(node.assertion["value"]) == value.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from(["co", "sw", "ew"]))
def test_any_substring_value_is_one_substring_assertion_or_refused(value, op):
    """displayName co/sw/ew <anything>: one substrings filter whose only
    part is the value, or invalidFilter where slapd would drop spaces."""
    text = f"displayName {op} {_quoted(value)}"

    if value and _irregular_spaces(value):
        with pytest.raises(InvalidFilterException, match="spaces"):
            ldap_filter(text)
        return
    term = ldap_filter(text)

    if value == "":
        assert term == "(displayName=*)"
        return
    node = _parsed(term)
    part = {"co": "any", "sw": "initial", "ew": "final"}[op]
    assert node.tag == MATCH_SUBSTRING
    assert set(node.assertion) == {"attr", part}
    found = node.assertion[part]
    assert _sent(found[0] if op == "co" else found) == value.encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(VALUES.filter(lambda v: v and not _irregular_spaces(v)))
def test_any_ordering_value_is_one_extensible_assertion(value):
    """title lt <anything>: one caseIgnoreOrderingMatch assertion."""
    node = _parsed(ldap_filter(f"title lt {_quoted(value)}"))

    assert node.tag == MATCH_EXTENSIBLE
    assert node.assertion["attr"] == "title"
    assert node.assertion["matchingRule"] == "caseIgnoreOrderingMatch"
    assert _sent(node.assertion["value"]) == value.encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(VALUES.filter(bool), VALUES.filter(bool))
def test_values_in_a_compound_filter_stay_in_their_own_assertions(left, right):
    """An or of two equalities is an LDAP OR of exactly two assertions."""
    text = f"userName eq {_quoted(left)} or title eq {_quoted(right)}"

    node = _parsed(ldap_filter(text))

    assert node.tag == OR
    assert [child.tag for child in node.elements] == [MATCH_EQUAL, MATCH_EQUAL]
    sent = [_sent(child.assertion["value"]) for child in node.elements]
    assert sent == [left.encode("utf-8"), right.encode("utf-8")]


@settings(max_examples=100, deadline=None)
@given(VALUES.filter(bool))
def test_a_value_in_a_value_path_stays_inside_it(value):
    """emails[type eq "work" and value eq <anything>]: presence AND one
    equality, however the value tries to close the bracket."""
    text = f'emails[type eq "work" and value eq {_quoted(value)}]'

    term = ldap_filter(text)

    if not value.isascii():
        assert term is False  # mail is IA5: no stored value holds it
        return
    node = _parsed(term)
    assert node.tag == AND
    equal = node.elements[1]
    assert equal.tag == MATCH_EQUAL
    assert _sent(equal.assertion["value"]) == value.encode("utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('displayName eq "a*"', "(displayName=a\\2a)"),
        ('displayName eq "*"', "(displayName=\\2a)"),
        ('displayName eq "x)(uid=*"', "(displayName=x\\29\\28uid=\\2a)"),
        ('displayName eq "\\\\2a"', "(displayName=\\5c2a)"),
        ('displayName co "a*b"', "(displayName=*a\\2ab*)"),
        ('displayName eq " lead"', "(displayName=\\20lead)"),
        ('displayName eq "Zoë"', "(displayName=Zo\\c3\\ab)"),
    ],
)
def test_values_that_look_like_filter_syntax_are_only_values(text, expected):
    """A star is not a wildcard, a parenthesis closes nothing, an escape is
    itself escaped, and a leading space survives ldap3's trimming."""
    assert ldap_filter(text) == expected
