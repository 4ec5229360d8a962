"""Which LDAP attribute and matching rule each SCIM attribute is read with."""

import pytest
from scim2_models import InvalidFilterException

from tests.mapping.support import ENTERPRISE, ids_named, kinds_with, ldap_filter

UUID = "f36d31de-83b5-1041-9b7f-8b1c79377fae"
BOSS_DN = "uid=boss,ou=people,dc=example,dc=org"
_ADDRESS = "(|(physicalDeliveryOfficeName=*)(street=*)(l=*)(st=*)(postalCode=*))"


def test_username_is_compared_with_the_attributes_own_case_ignoring_rule():
    """userName is caseExact false, uid is caseIgnoreMatch: plain equality."""
    assert ldap_filter('userName eq "BJensen"') == "(uid=BJensen)"


def test_externalid_is_compared_with_the_case_exact_bridge_attribute():
    """externalId is case-exact (RFC 7643 §3.1); scimExternalId has
    EQUALITY caseExactMatch, so plain equality keeps the case."""
    assert ldap_filter("externalId eq jyoung") == "(scimExternalId=jyoung)"


def test_case_exact_scim_on_a_case_ignoring_attribute_uses_case_exact_match():
    """openldap.md §5.1: the extensible caseExactMatch, AND-ed with the
    indexed plain equality that finds a superset."""
    kinds = kinds_with("users", "externalId", ldap="employeeType")

    term = ldap_filter('externalId eq "Ab"', kinds=kinds)

    assert term == "(&(employeeType=Ab)(employeeType:caseExactMatch:=Ab))"


def test_case_exact_ordering_on_a_case_ignoring_attribute_borrows_the_exact_rule():
    """ge on a case-exact SCIM attribute uses caseExactOrderingMatch."""
    kinds = kinds_with("users", "externalId", ldap="employeeType")

    term = ldap_filter('externalId ge "Ab"', kinds=kinds)

    assert term == ("(&(employeeType=*)(!(employeeType:caseExactOrderingMatch:=Ab)))")


def test_case_exact_substrings_on_a_case_ignoring_attribute_are_refused():
    """Substrings rules have no extensible form: co would ignore case."""
    kinds = kinds_with("users", "externalId", ldap="employeeType")

    with pytest.raises(InvalidFilterException, match="substrings rule"):
        ldap_filter('externalId co "Ab"', kinds=kinds)


def test_case_exact_scim_on_an_ia5_attribute_uses_case_exact_ia5_match():
    """An IA5 attribute's exact rule is caseExactIA5Match."""
    kinds = kinds_with(
        "users", "externalId", ldap="associatedDomain", matching="ia5_ignore"
    )

    term = ldap_filter('externalId eq "Ab"', kinds=kinds)

    assert term == "(&(associatedDomain=Ab)(associatedDomain:caseExactIA5Match:=Ab))"


def test_case_ignoring_scim_on_a_case_exact_attribute_uses_case_ignore_match():
    """The reverse mismatch borrows caseIgnoreMatch and its ordering rule."""
    kinds = kinds_with(
        "users", "displayName", without="externalId", ldap="scimExternalId"
    )

    equal = ldap_filter('displayName eq "Ab"', kinds=kinds)
    below = ldap_filter('displayName lt "Ab"', kinds=kinds)

    assert equal == "(scimExternalId:caseIgnoreMatch:=Ab)"
    assert below == "(scimExternalId:caseIgnoreOrderingMatch:=Ab)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('emails[type eq "work"].value eq "a@x.org"', "(&(mail=*)(mail=a@x.org))"),
        ('emails[type eq "work" and value sw "a"]', "(&(mail=*)(mail=a*))"),
        ('emails.value ew ".org"', "(mail=*.org)"),
        ('emails eq "a@x.org"', "(mail=a@x.org)"),
        ("emails pr", "(mail=*)"),
        ('emails[type eq "work"]', "(mail=*)"),
        ('emails.type eq "WORK"', "(mail=*)"),
        ('emails.type ne "work"', "(!(mail=*))"),
        ("emails.type eq null", "(!(mail=*))"),
        ('emails[type eq "home"]', False),
        ('emails[not (type eq "work")]', False),
    ],
)
def test_emails_are_the_work_mail(text, expected):
    """emails[type eq "work"].value is mail; no other type is stored."""
    assert ldap_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'phoneNumbers[type eq "work"].value eq "+1 555"',
            "(&(telephoneNumber=*)(telephoneNumber:caseIgnoreMatch:=+1\\20555))",
        ),
        (
            'phoneNumbers[type eq "mobile" and value lt "+2"]',
            "(&(mobile=*)(mobile:caseIgnoreOrderingMatch:=+2))",
        ),
        ('phoneNumbers[type eq "fax"]', "(facsimileTelephoneNumber=*)"),
        ('phoneNumbers.type eq "fax"', "(facsimileTelephoneNumber=*)"),
        (
            "phoneNumbers pr",
            "(|(telephoneNumber=*)(mobile=*)(facsimileTelephoneNumber=*))",
        ),
    ],
)
def test_phone_numbers_keep_their_spaces_and_hyphens(text, expected):
    """telephoneNumberMatch ignores spaces and hyphens, SCIM does not: the
    caseIgnore rules are borrowed by extensible match."""
    assert ldap_filter(text) == expected


def test_a_substring_of_a_phone_number_is_an_invalid_filter():
    """telephoneNumberSubstringsMatch would find "+1555" for co "1 5"."""
    with pytest.raises(InvalidFilterException, match="substrings rule"):
        ldap_filter('phoneNumbers[type eq "work" and value co "1 5"]')


def test_any_phone_number_value_is_refused_as_fax_numbers_cannot_be_compared():
    """facsimileTelephoneNumber has no EQUALITY rule: only 'pr' works."""
    with pytest.raises(InvalidFilterException, match="facsimileTelephoneNumber"):
        ldap_filter('phoneNumbers.value eq "+1 555"')


def test_a_value_path_on_another_type_never_compares_fax_numbers():
    """Entra's phoneNumbers[type eq "mobile"].value eq form: the fax element
    fails type eq "mobile", so its value is never needed."""
    term = ldap_filter('phoneNumbers[type eq "mobile"].value eq "+1"')

    assert term == "(&(mobile=*)(mobile:caseIgnoreMatch:=+1))"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'addresses[type eq "work" and locality eq "Paris"]',
            f"(&{_ADDRESS}(l=Paris))",
        ),
        ('addresses[locality sw "Par"]', f"(&{_ADDRESS}(l=Par*))"),
        ("addresses pr", _ADDRESS),
        ('addresses.type eq "work"', _ADDRESS),
        ('addresses.postalCode eq "75001"', "(postalCode=75001)"),
    ],
)
def test_a_work_address_exists_when_any_of_its_attributes_does(text, expected):
    """An address element is read back when one of its five parts is stored."""
    assert ldap_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name.familyName pr", "(&(sn=*)(!(scimDerived=sn)))"),
        ('name.familyName eq "One"', "(&(sn=One)(!(scimDerived=sn)))"),
        ('name.familyName ne "One"', "(!(&(sn=One)(!(scimDerived=sn))))"),
        ("name.formatted eq null", "(!(&(cn=*)(!(scimDerived=cn))))"),
        ('name.givenName eq "Ann"', "(givenName=Ann)"),
        (
            "name pr",
            "(|(givenName=*)(&(sn=*)(!(scimDerived=sn)))(&(cn=*)(!(scimDerived=cn))))",
        ),
    ],
)
def test_a_derived_fallback_value_never_matches(text, expected):
    """sn and cn hold displayName when Entra sent no name; reads do not
    return it, so filters must not find it either."""
    assert ldap_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'id eq "{UUID}"', f"(entryUUID={UUID})"),
        (f'id ne "{UUID}"', f"(!(entryUUID={UUID}))"),
        (f'id eq "{UUID.upper()}"', False),
        ('id eq "not-an-id"', False),
        ('id ne "not-an-id"', True),
        ("id pr", True),
        ("id eq null", False),
        (f'id ge "{UUID}"', f"(entryUUID>={UUID})"),
        (f'id gt "{UUID}"', f"(&(entryUUID>={UUID})(!(entryUUID={UUID})))"),
        (f'id le "{UUID}"', f"(entryUUID<={UUID})"),
    ],
)
def test_id_is_the_case_exact_entry_uuid(text, expected):
    """id is caseExact (RFC 7643 §3.1) and always present; entryUUID orders
    its bytes as lower-case hex orders."""
    assert ldap_filter(text) == expected


@pytest.mark.parametrize(
    "text", ['id sw "f36d"', 'id lt "f36d"', f'id gt "{UUID.upper()}"']
)
def test_id_substrings_and_ordering_on_partial_ids_are_invalid_filters(text):
    """entryUUID has no substrings rule and orders only whole UUIDs."""
    with pytest.raises(InvalidFilterException, match="id"):
        ldap_filter(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('meta.created eq "2026-01-02T03:04:05Z"', "(createTimestamp=20260102030405Z)"),
        (
            'meta.created gt "2026-01-02T03:04:05Z"',
            "(createTimestamp>=20260102030406Z)",
        ),
        (
            'meta.created ge "2026-01-02T03:04:05Z"',
            "(createTimestamp>=20260102030405Z)",
        ),
        (
            'meta.created lt "2026-01-02T03:04:05Z"',
            "(createTimestamp<=20260102030404Z)",
        ),
        (
            'meta.created le "2026-01-02T03:04:05Z"',
            "(createTimestamp<=20260102030405Z)",
        ),
        (
            'meta.lastModified ge "2026-01-02T05:04:05+02:00"',
            "(modifyTimestamp>=20260102030405Z)",
        ),
        ("meta.lastModified pr", True),
    ],
)
def test_meta_timestamps_are_ordered_natively(text, expected):
    """createTimestamp and modifyTimestamp are generalizedTime, in UTC and
    whole seconds; ordering works on them natively."""
    assert ldap_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('meta.created eq "2026-01-02T03:04:05.5Z"', False),
        ('meta.created ne "2026-01-02T03:04:05.5Z"', True),
        (
            'meta.created gt "2026-01-02T03:04:05.5Z"',
            "(createTimestamp>=20260102030406Z)",
        ),
        (
            'meta.created ge "2026-01-02T03:04:05.5Z"',
            "(createTimestamp>=20260102030406Z)",
        ),
        (
            'meta.created lt "2026-01-02T03:04:05.5Z"',
            "(createTimestamp<=20260102030405Z)",
        ),
        (
            'meta.created le "2026-01-02T03:04:05.5Z"',
            "(createTimestamp<=20260102030405Z)",
        ),
    ],
)
def test_a_fraction_of_a_second_falls_between_stored_timestamps(text, expected):
    """A stored whole second never equals 05.5; 05 is below it, 06 above."""
    assert ldap_filter(text) == expected


def test_a_substring_of_a_timestamp_is_an_invalid_filter():
    """co, sw and ew do not apply to dateTime values."""
    with pytest.raises(InvalidFilterException, match="dateTime"):
        ldap_filter('meta.created sw "2026"')


def test_meta_resource_type_is_a_case_exact_constant():
    """Every User is of resourceType "User" (caseExact in RFC 7643 §3.1)."""
    assert ldap_filter('meta.resourceType eq "User"') is True
    assert ldap_filter('meta.resourceType eq "user"') is False


def test_a_manager_is_compared_by_the_dn_its_id_resolves_to():
    """manager holds a DN; the id was resolved to it before translating."""
    refs = {UUID: BOSS_DN}

    by_value = ldap_filter(f'{ENTERPRISE}:manager.value eq "{UUID}"', refs=refs)
    bare = ldap_filter(f'{ENTERPRISE}:manager eq "{UUID}"', refs=refs)

    assert by_value == bare == f"(manager={BOSS_DN})"


def test_a_manager_id_in_another_case_matches_nothing():
    """manager.value is caseExact: an upper-case id is another id."""
    refs = {UUID.upper(): BOSS_DN}

    term = ldap_filter(f'{ENTERPRISE}:manager eq "{UUID.upper()}"', refs=refs)

    assert term is False


def test_an_unknown_manager_id_matches_nothing_and_ne_matches_all():
    """An id no entry has is no DN: eq is false, ne is true."""
    assert ldap_filter(f'{ENTERPRISE}:manager eq "{UUID}"') is False
    assert ldap_filter(f'{ENTERPRISE}:manager ne "{UUID}"') is True


def test_group_members_are_compared_by_member_dn():
    """members eq and members[value eq] both test one member DN."""
    refs = {UUID: BOSS_DN}

    plain = ldap_filter(f'members eq "{UUID}"', kind="Group", refs=refs)
    path = ldap_filter(f'members[value eq "{UUID}"]', kind="Group", refs=refs)
    legacy = ldap_filter(
        f'id eq "{UUID}" and members eq "{UUID}"', kind="Group", refs=refs
    )

    assert plain == path == f"(member={BOSS_DN})"
    assert legacy == f"(&(entryUUID={UUID})(member={BOSS_DN}))"


def test_group_display_name_is_the_cn():
    """A group's displayName is its cn, caseIgnoreMatch."""
    assert ldap_filter('displayName eq "Sales"', kind="Group") == "(cn=Sales)"


def test_the_ids_a_filter_references_are_collected_for_resolution():
    """Only ids compared with references (members, manager) are looked up."""
    text = 'members eq "a" or members[value eq "b"] or externalId eq "c"'

    assert ids_named(text, kind="Group") == {"a", "b"}
    assert ids_named(f'{ENTERPRISE}:manager.value eq "m"') == {"m"}


@pytest.mark.parametrize(
    "text",
    [
        'nickName eq "x"',
        "nickName pr",
        'x eq "y"',
        'emails.display eq "x"',
        'emails[display eq "x"]',
        'meta.version eq "W/1"',
        "title pr or nickName pr",
        'emails[type eq "home"] and nickName pr',
        'not (nickName eq "x")',
    ],
)
def test_an_unmapped_attribute_is_an_invalid_filter_never_an_empty_list(text):
    """RFC 7644 §3.4.2.2: 400 invalidFilter, wherever it sits in the filter."""
    with pytest.raises(InvalidFilterException):
        ldap_filter(text)


def test_a_postal_address_can_only_be_tested_for_presence():
    """Postal Address (caseIgnoreListMatch) compares line by line, which
    no SCIM operator means: only 'pr' is translated."""
    kinds = kinds_with(
        "users",
        'addresses[type eq "work"].formatted',
        ldap="postalAddress",
        kind="postal",
    )

    present = ldap_filter("addresses.formatted pr", kinds=kinds)

    assert present == "(postalAddress=*)"
    with pytest.raises(InvalidFilterException, match="'pr'"):
        ldap_filter('addresses.formatted eq "1 Main St"', kinds=kinds)
