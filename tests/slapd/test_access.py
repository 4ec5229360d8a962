"""The ACLs and limits of bridge.slapd.acl, checked against a real slapd.

Result codes are RFC 4511's: 0 success, 32 noSuchObject, 50
insufficientAccessRights.
"""

from __future__ import annotations

from ldap3 import BASE, MODIFY_REPLACE, NONE, SUBTREE, Connection, Server

from bridge.slapd import LocalSlapd

from .support import PEOPLE, READER, SUFFIX, WRITER, as_account, connect, person

BULK = f"ou=bulk,{PEOPLE}"
BULK_SIZE = 600


def _describe(connection: Connection, dn: str) -> int:
    connection.modify(dn, {"description": [(MODIFY_REPLACE, ["changed"])]})
    return int(connection.result["result"])


def _count_paged(connection: Connection, base: str, page_size: int) -> tuple[int, int]:
    entries = pages = 0
    cookie: bytes | None = None
    while True:
        connection.search(
            base, "(objectClass=person)", SUBTREE,
            attributes=["cn"], paged_size=page_size, paged_cookie=cookie,
        )  # fmt: skip
        entries += len(connection.entries)
        pages += 1
        control = connection.result["controls"]["1.2.840.113556.1.4.319"]
        cookie = control["value"]["cookie"]
        if not cookie:
            return entries, pages


def test_writer_can_add_a_user_under_people(slapd: LocalSlapd) -> None:
    """The bridge account creates, changes and deletes entries under people."""
    writer = as_account(slapd.uri, WRITER)
    dn = f"uid=written,{PEOPLE}"

    added = writer.add(dn, attributes=person("written", loginDisabled="FALSE"))
    changed = _describe(writer, dn)
    deleted = writer.delete(dn)

    assert (added, changed, deleted) == (True, 0, True)


def test_writer_cannot_change_the_suffix_or_a_unit(slapd: LocalSlapd) -> None:
    """The suffix entry and the people unit itself are read-only to the bridge."""
    writer = as_account(slapd.uri, WRITER)

    on_suffix = _describe(writer, SUFFIX)
    on_unit = _describe(writer, PEOPLE)

    assert (on_suffix, on_unit) == (50, 50)


def test_writer_cannot_change_a_service_account(slapd: LocalSlapd) -> None:
    """The bridge can modify neither the reader account nor its own entry."""
    writer = as_account(slapd.uri, WRITER)

    on_reader = _describe(writer, READER.dn)
    on_itself = _describe(writer, WRITER.dn)

    assert (on_reader, on_itself) == (50, 50)


def test_writer_cannot_add_a_user_with_a_password(slapd: LocalSlapd) -> None:
    """An add that carries a userPassword is refused to the bridge."""
    writer = as_account(slapd.uri, WRITER)

    writer.add(f"uid=pw,{PEOPLE}", attributes=person("pw", userPassword="secret1"))

    assert writer.result["result"] == 50


def test_writer_can_delete_a_user_that_has_a_password(slapd: LocalSlapd) -> None:
    """A password set by someone else does not stop the bridge deleting a user."""
    root = connect(slapd.uri, slapd.root_dn, slapd.root_password)
    dn = f"uid=has-pw,{PEOPLE}"
    root.add(dn, attributes=person("has-pw", userPassword="secret2"))
    writer = as_account(slapd.uri, WRITER)

    changed = _describe(writer, dn)
    deleted = writer.delete(dn)

    assert (changed, deleted) == (0, True)


def test_writer_renames_users_except_those_with_a_password(
    slapd: LocalSlapd,
) -> None:
    """A rename needs full write on the entry, which password holders deny."""
    root = connect(slapd.uri, slapd.root_dn, slapd.root_password)
    plain = f"uid=rename-plain,{PEOPLE}"
    holder = f"uid=rename-pw,{PEOPLE}"
    root.add(plain, attributes=person("rename-plain"))
    root.add(holder, attributes=person("rename-pw", userPassword="secret4"))
    writer = as_account(slapd.uri, WRITER)

    renamed = writer.modify_dn(plain, "uid=renamed-plain")
    writer.modify_dn(holder, "uid=renamed-pw")

    assert renamed is True
    assert writer.result["result"] == 50


def test_writer_cannot_change_a_password(slapd: LocalSlapd) -> None:
    """Replacing an existing userPassword is refused to the bridge."""
    root = connect(slapd.uri, slapd.root_dn, slapd.root_password)
    dn = f"uid=keeps-pw,{PEOPLE}"
    root.add(dn, attributes=person("keeps-pw", userPassword="secret3"))
    writer = as_account(slapd.uri, WRITER)

    writer.modify(dn, {"userPassword": [(MODIFY_REPLACE, ["mine"])]})

    assert writer.result["result"] == 50


def test_writer_reads_outside_people_and_groups(slapd: LocalSlapd) -> None:
    """The bridge may read the suffix and the service accounts."""
    writer = as_account(slapd.uri, WRITER)

    writer.search(SUFFIX, "(objectClass=applicationProcess)", attributes=["cn"])

    assert sorted(str(entry.cn) for entry in writer.entries) == ["bridge", "records"]


def test_reader_cannot_write(slapd: LocalSlapd) -> None:
    """The records-system account is read-only, even under people."""
    reader = as_account(slapd.uri, READER)

    reader.add(f"uid=by-reader,{PEOPLE}", attributes=person("by-reader"))

    assert reader.result["result"] == 50


def test_reader_sees_nothing_outside_people_and_groups(slapd: LocalSlapd) -> None:
    """The records-system account cannot read the service accounts."""
    reader = as_account(slapd.uri, READER)

    reader.search(SUFFIX, "(objectClass=applicationProcess)", SUBTREE)

    assert reader.entries == []


def test_reader_pages_through_more_than_the_size_limit(slapd: LocalSlapd) -> None:
    """The reader's paged search returns all 600 entries, past the 500 cap."""
    root = connect(slapd.uri, slapd.root_dn, slapd.root_password)
    root.add(BULK, attributes={"objectClass": "organizationalUnit", "ou": "bulk"})
    for number in range(BULK_SIZE):
        root.add(f"uid=bulk{number},{BULK}", attributes=person(f"bulk{number}"))
    reader = as_account(slapd.uri, READER)

    entries, pages = _count_paged(reader, BULK, page_size=100)

    assert entries == BULK_SIZE
    assert pages >= BULK_SIZE // 100


def test_anonymous_bind_works_but_reads_no_people(slapd: LocalSlapd) -> None:
    """An anonymous client binds, yet a subtree search of people is empty."""
    anonymous = connect(slapd.uri)

    anonymous.search(PEOPLE, "(objectClass=*)", SUBTREE)

    assert anonymous.bound is True
    assert anonymous.entries == []
    # noSuchObject, as for a base that does not exist: nothing is disclosed.
    assert anonymous.result["result"] == 32


def test_anonymous_reads_the_root_dse_only(slapd: LocalSlapd) -> None:
    """The root DSE is public; the schema and the suffix are not."""
    anonymous = connect(slapd.uri)

    anonymous.search("", "(objectClass=*)", BASE, attributes=["namingContexts"])
    root_dse = [str(value) for value in anonymous.entries[0].namingContexts]
    anonymous.search("cn=Subschema", "(objectClass=*)", BASE)
    schema = anonymous.entries

    assert root_dse == [SUFFIX]
    assert schema == []


def test_accounts_bind_only_with_their_password(slapd: LocalSlapd) -> None:
    """`by anonymous auth` lets an account bind; a wrong password gets 49."""
    right = as_account(slapd.uri, READER)
    wrong = Connection(Server(slapd.uri, get_info=NONE), READER.dn, "wrong-password")

    wrong.bind()

    assert right.bound is True
    assert wrong.result["result"] == 49
