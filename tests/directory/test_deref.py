"""The dereference control: its BER both ways, and slapd with and without it."""

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyasn1.codec.ber import encoder
from pyasn1.type import namedtype, tag, univ

from bridge.directory.client import Directory, Entry
from bridge.directory.deref import DEREF_OID, Dereferenced, deref_control, parse_deref
from bridge.mapping.load import load_mapping
from bridge.scim.schemas import build_kinds
from bridge.slapd import LocalSlapd, ServiceAccount
from bridge.slapd.profile import spec_for_mapping
from tests.support import BRIDGE_DN, SCIM, SYNC_DN, Stack, new_token


# The draft's ASN.1, built with pyasn1 as an independent reference encoder.
class _Names(univ.SequenceOf):
    componentType = univ.OctetString()


class _Spec(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("derefAttr", univ.OctetString()),
        namedtype.NamedType("attributes", _Names()),
    )


class _Specs(univ.SequenceOf):
    componentType = _Spec()


class _Values(univ.SetOf):
    componentType = univ.OctetString()


class _Partial(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.OctetString()),
        namedtype.NamedType("vals", _Values()),
    )


class _PartialList(univ.SequenceOf):
    componentType = _Partial()


class _Res(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("derefAttr", univ.OctetString()),
        namedtype.NamedType("derefVal", univ.OctetString()),
        namedtype.OptionalNamedType(
            "attrVals",
            _PartialList().subtype(
                implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)
            ),
        ),
    )


class _Response(univ.SequenceOf):
    componentType = _Res()


def _reference_response(items: list[Dereferenced]) -> bytes:
    response = _Response()
    for position, item in enumerate(items):
        res = _Res()
        res["derefAttr"] = item.attribute.encode()
        res["derefVal"] = item.dn.encode()
        if item.attrs:
            partials = res["attrVals"]
            for index, (name, values) in enumerate(item.attrs.items()):
                partial = _Partial()
                partial["type"] = name.encode()
                for number, value in enumerate(values):
                    partial["vals"][number] = value.encode()
                partials[index] = partial
        response[position] = res
    return bytes(encoder.encode(response))


def test_the_request_is_the_drafts_ber() -> None:
    specs = _Specs()
    spec = _Spec()
    spec["derefAttr"] = b"member"
    spec["attributes"][0] = b"entryUUID"
    specs[0] = spec
    oid, critical, value = deref_control("member", ("entryUUID",))
    assert (oid, critical) == (DEREF_OID, True)
    assert value == bytes(encoder.encode(specs))


_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789-", min_size=1, max_size=12
)
_texts = st.text(min_size=1, max_size=300)
_items = st.builds(
    Dereferenced,
    attribute=_names,
    dn=_texts,
    attrs=st.dictionaries(_names, st.lists(_texts, min_size=1, max_size=3), max_size=3),
)


@given(st.lists(_items, max_size=40))
def test_responses_parse_to_what_was_encoded(items: list[Dereferenced]) -> None:
    assert parse_deref(_reference_response(items)) == items


def test_a_long_response_uses_long_lengths_and_parses() -> None:
    items = [
        Dereferenced("member", f"uid=user{n:05d},ou=people,dc=example,dc=org",
                     {"entryUUID": [f"{n:08d}-0000-4000-8000-000000000000"]})
        for n in range(3000)
    ]  # fmt: skip
    raw = _reference_response(items)
    assert raw[1] == 0x83  # a three-byte length: over 65,535 bytes
    assert parse_deref(raw) == items


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x30",
        b"\x30\x05\x30\x03\x04\x01",  # runs past its container
        b"\x31\x00",  # not a SEQUENCE
        b"\x30\x00\x00",  # trailing bytes
        b"\x30\x04\x30\x02\x04\x00",  # derefVal missing
        b"\x30\x08\x30\x06\x04\x00\x04\x00\x04\x00",  # attrVals not [0]
        b"\x30\x84\xff\xff\xff\xff",  # length beyond the value
        b"\x30\x80\x00\x00",  # indefinite length: slapd never sends it
    ],
)
def test_malformed_responses_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_deref(raw)


# --- against slapd, through the bridge -------------------------------------


class _Counting(Directory):
    """Counts the searches the bridge makes (each paged search once)."""

    searches = 0

    async def search(self, *args: Any, **kwargs: Any) -> list[Entry]:
        self.searches += 1
        return await super().search(*args, **kwargs)


@pytest.fixture(scope="module")
def plain_stack() -> Iterator[Stack]:
    """A directory like the tests' own, but without slapo-deref."""
    mapping = load_mapping("inetorgperson")
    writer = ServiceAccount.with_random_password(BRIDGE_DN, "writer")
    reader = ServiceAccount.with_random_password(SYNC_DN, "reader")
    spec = spec_for_mapping(mapping, (writer, reader), durable=False)
    with LocalSlapd(replace(spec, deref=False)) as slapd:
        yield Stack(slapd, mapping, writer, reader, build_kinds(mapping))


def _fill(stack: Stack, label: str, count: int) -> tuple[str, list[str]]:
    """A group of ``count`` users, one dangling DN and one non-user member;
    returns the group's id and the users' ids in member order."""
    people, groups = stack.mapping.users.base, stack.mapping.groups.base
    conn = stack.admin()
    dns = []
    for number in range(count):
        uid = f"{label}{number:04d}"
        dn = f"uid={uid},{people}"
        conn.add(dn, ["inetOrgPerson", "scimUser"], {"uid": uid, "sn": "x", "cn": "x"})
        dns.append(dn)
    outsider = f"cn={label}-outsider,{groups}"
    conn.add(outsider, ["group", "scimGroup"], {"cn": f"{label}-outsider"})
    group = f"cn={label},{groups}"
    members = [*dns, f"uid={label}-gone,{people}", outsider]
    conn.add(group, ["group", "scimGroup"], {"cn": label, "member": members})
    conn.search(people, f"(uid={label}*)", attributes=["entryUUID"])
    by_dn = {e.entry_dn.lower(): str(e.entryUUID) for e in conn.entries}
    conn.search(group, "(objectClass=*)", "BASE", attributes=["entryUUID"])
    return str(conn.entries[0].entryUUID), [by_dn[dn.lower()] for dn in dns]


async def _read_members(
    aiohttp_client: Any, stack: Stack, group_id: str
) -> tuple[list[str], int]:
    token = new_token()
    app, directory = stack.app_on(_Counting, token)
    http = await aiohttp_client(app)
    response = await http.get(
        f"{SCIM}/Groups/{group_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    body = await response.json()
    return [m["value"] for m in body["members"]], directory.searches


async def test_a_group_is_read_with_its_member_ids_in_one_search(
    aiohttp_client: Any, general_stack: Stack
) -> None:
    group_id, expected = _fill(general_stack, "derefon", 450)
    ids, searches = await _read_members(aiohttp_client, general_stack, group_id)
    # The dangling DN and the member outside the people base drop out.
    assert ids == expected
    assert searches == 1


async def test_without_the_overlay_members_are_resolved_in_chunks(
    aiohttp_client: Any, plain_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    group_id, expected = _fill(plain_stack, "derefoff", 450)
    caplog.set_level(logging.INFO, logger="bridge.directory")
    ids, searches = await _read_members(aiohttp_client, plain_stack, group_id)
    assert ids == expected
    # The group's search (refused with the control, then made without it),
    # then 452 member DNs in chunks of 200.
    assert searches == 1 + 3
    refusals = [r for r in caplog.records if "dereference control" in r.getMessage()]
    assert len(refusals) == 1
