"""Reading filter text, including the unquoted values old Entra samples send."""

import pytest
from scim2_models import InvalidFilterException

from bridge.scim.query import _parse, parse_filter
from tests.mapping.support import GENERAL, ldap_filter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("externalId eq jyoung", "(scimExternalId=jyoung)"),
        ("userName Eq john.doe@example.org", "(uid=john.doe@example.org)"),
        ("externalId eq 12345", "(scimExternalId=12345)"),
        ("externalId eq O'Brien", "(scimExternalId=O'Brien)"),
        ("emails[value eq jo@example.org]", "(&(mail=*)(mail=jo@example.org))"),
        (
            "meta.created gt 2015-10-10T14:38:21Z",
            "(createTimestamp>=20151010143822Z)",
        ),
        (
            "externalId eq jyoung and active eq true",
            "(&(scimExternalId=jyoung)(loginDisabled=FALSE))",
        ),
    ],
)
def test_an_unquoted_value_is_read_as_a_string(text, expected):
    """entra-client.md §6: tolerate ``externalId eq jyoung``."""
    assert ldap_filter(text) == expected


def test_words_inside_a_quoted_value_are_left_alone_when_quoting_bare_ones():
    """Only bare words are quoted, never part of a string already quoted."""
    term = ldap_filter('displayName eq "x eq y" and externalId eq jyoung')

    assert term == "(&(displayName=x\\20eq\\20y)(scimExternalId=jyoung))"


def test_a_bare_backslash_is_a_character_of_the_value():
    """Quoting escapes what JSON would otherwise read as an escape."""
    assert ldap_filter("userName eq O\\Brien") == "(uid=O\\5cBrien)"


def test_literals_stay_literals_when_other_words_are_quoted():
    """true, false and null are not strings, in any case."""
    term = ldap_filter("externalId eq jyoung and active eq FALSE and title eq null")

    assert term == "(&(scimExternalId=jyoung)(loginDisabled=TRUE)(!(title=*)))"


def test_a_filter_broken_beyond_bare_words_reports_its_own_error():
    """When quoting does not help, the error of the text as sent is given."""
    with pytest.raises(InvalidFilterException, match="column 10"):
        ldap_filter('title eq "unterminated and externalId eq jyoung')


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "user1@example.org"',
        'USERNAME EQ "MixedCase"',
        'externalId eq "5f0c2b7e-1111-4c2a-9d00-000000000001"',
        'displayName eq "Group One"',
        'displayName eq ""',
        'userName eq "a\\"b"',
    ],
)
def test_the_existence_check_fast_path_reads_what_the_grammar_reads(text: str) -> None:
    """Entra's `attr eq "value"` skips the grammar and yields the same tree."""
    model = GENERAL["User"].model

    assert parse_filter(model, text) == _parse(model, text)
