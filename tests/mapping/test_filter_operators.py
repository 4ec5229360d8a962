"""SCIM comparison operators, presence and logic as LDAP filters.

The expected strings are what slapd is sent; the differential test
(tests/integration/test_filter_differential.py) proves that slapd's answers
to them are SCIM's.
"""

import pytest
from scim2_models import InvalidFilterException

from tests.mapping.support import ldap_filter

_ORD = "caseIgnoreOrderingMatch"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen"', "(uid=bjensen)"),
        ('userName ne "bjensen"', "(!(uid=bjensen))"),
        ('userName co "jen"', "(uid=*jen*)"),
        ('userName sw "bj"', "(uid=bj*)"),
        ('userName ew "sen"', "(uid=*sen)"),
        ("userName pr", "(uid=*)"),
        ('userName lt "m"', f"(uid:{_ORD}:=m)"),
        ('userName le "m"', f"(|(uid:{_ORD}:=m)(uid=m))"),
        ('userName ge "m"', f"(&(uid=*)(!(uid:{_ORD}:=m)))"),
        ('userName gt "m"', f"(&(uid=*)(!(uid:{_ORD}:=m))(!(uid=m)))"),
    ],
    ids=lambda value: value if " " in value else "",
)
def test_each_operator_on_a_directory_string_has_one_ldap_form(text, expected):
    """Every SCIM operator on userName (uid: no ORDERING rule) maps to slapd."""
    assert ldap_filter(text) == expected


def test_ordering_on_an_attribute_without_an_ordering_rule_borrows_one():
    """openldap.md §5.2: ``ge`` is "present and not less than" by extensible
    caseIgnoreOrderingMatch, because ``(title>=x)`` silently matches nothing."""
    term = ldap_filter('title ge "Manager"')

    assert term == f"(&(title=*)(!(title:{_ORD}:=Manager)))"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('externalId gt "Ab"', "(&(scimExternalId>=Ab)(!(scimExternalId=Ab)))"),
        ('externalId ge "Ab"', "(scimExternalId>=Ab)"),
        ('externalId lt "Ab"', "(&(scimExternalId<=Ab)(!(scimExternalId=Ab)))"),
        ('externalId le "Ab"', "(scimExternalId<=Ab)"),
    ],
)
def test_ordering_on_an_attribute_with_its_own_rule_is_native(text, expected):
    """scimExternalId declares caseExactOrderingMatch: >= and <= are used."""
    assert ldap_filter(text) == expected


@pytest.mark.parametrize("op", ["gt", "ge", "lt", "le"])
def test_ordering_on_mail_is_an_invalid_filter(op):
    """IA5 String has no ordering rule to borrow (openldap.md §5.2)."""
    with pytest.raises(InvalidFilterException, match="no ordering rule"):
        ldap_filter(f'emails.value {op} "m@example.org"')


def test_and_or_not_nest_as_written():
    """and binds tighter than or; not wraps its operand."""
    term = ldap_filter(
        'userName eq "a" and (title pr or not (displayName pr)) or userName eq "b"'
    )

    assert term == "(|(&(uid=a)(|(title=*)(!(displayName=*))))(uid=b))"


def test_a_double_negation_cancels_out():
    """not (not X) is X: no (!(!...)) is sent."""
    assert ldap_filter("not (not (title pr))") == "(title=*)"


def test_nested_conjunctions_are_flattened():
    """(a and (b and c)) is one LDAP AND of three."""
    term = ldap_filter('title pr and (displayName pr and userName eq "x")')

    assert term == "(&(title=*)(displayName=*)(uid=x))"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("active eq true", "(loginDisabled=FALSE)"),
        ("active eq false", "(loginDisabled=TRUE)"),
        ("active ne true", "(!(loginDisabled=FALSE))"),
    ],
)
def test_active_is_the_inverse_of_login_disabled(text, expected):
    """active maps to loginDisabled with invert: true."""
    assert ldap_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title eq null", "(!(title=*))"),
        ("title ne null", "(title=*)"),
        ("addresses.locality eq null", "(!(l=*))"),
    ],
)
def test_null_is_absence(text, expected):
    """scim2-models: eq null holds where no value is; ne null where one is."""
    assert ldap_filter(text) == expected


def test_ordering_against_null_is_an_invalid_filter():
    """A null has no order."""
    with pytest.raises(InvalidFilterException, match="null"):
        ldap_filter("title gt null")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title eq ""', False),
        ('title ne ""', True),
        ('title co ""', "(title=*)"),
        ('title sw ""', "(title=*)"),
        ('title ew ""', "(title=*)"),
        ('title gt ""', "(title=*)"),
        ('title ge ""', "(title=*)"),
        ('title lt ""', False),
        ('title le ""', False),
    ],
)
def test_an_empty_value_is_answered_without_slapd(text, expected):
    """slapd reads ``(title=)`` as Undefined, and NOT of Undefined as false,
    so "ne" would lose every entry; no stored value is empty."""
    assert ldap_filter(text) == expected


def test_a_filter_that_cannot_match_is_false_and_not_sent():
    """emails[type eq "home"] cannot hold: only work mail is stored."""
    assert ldap_filter('emails[type eq "home"]') is False


def test_an_and_with_a_false_side_is_false_even_if_the_other_cannot_be_sent():
    """false and X is false whatever X: no 400 for what cannot matter."""
    term = ldap_filter('emails[type eq "home"] and emails.value gt "a"')

    assert term is False
