"""The requests the bridge writes itself: ldap3's own bytes, and slapd's answers.

ldap3 (through pyasn1) is the reference encoder here: every filter shape,
add and modify the bridge sends must come out byte for byte as ldap3 would
send it, except where ldap3 departs from RFC 4515 (it strips the spaces
around a value and cannot write the empty ``(&)``).
"""

import tracemalloc
from collections.abc import Iterator, Sequence
from typing import Any

import ldap3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ldap3.operation.add import add_operation
from ldap3.operation.modify import modify_operation
from ldap3.operation.search import search_operation
from ldap3.protocol.convert import build_controls_list
from ldap3.protocol.rfc2696 import paged_search_control
from ldap3.protocol.rfc4511 import LDAPMessage, MessageID, ProtocolOp
from ldap3.utils.asn1 import encode

from bridge.directory import ber, wire
from bridge.directory.controls import assertion, post_read
from bridge.directory.errors import Unreachable, translated
from bridge.directory.filters import compile_filter
from bridge.errors import DirectoryFailure
from bridge.mapping.ldapschema import escape_filter_value
from tests.support import Stack

_MODIFY = {"add": ldap3.MODIFY_ADD, "delete": ldap3.MODIFY_DELETE}
_MODIFY["replace"] = ldap3.MODIFY_REPLACE


def _ldap3_message(kind: str, request: Any, controls: Sequence[Any]) -> bytes:
    """What ldap3's ``send`` puts on the wire for message id 7."""
    message = LDAPMessage()
    message["messageID"] = MessageID(7)
    message["protocolOp"] = ProtocolOp().setComponentByName(kind, request)
    built = build_controls_list(list(controls))
    if built is not None:
        message["controls"] = built
    return bytes(encode(message))


def _ldap3_search(base: str, text: str, scope: str, attributes: list[str]) -> Any:
    # ldap3's Connection defaults: auto_escape and auto_encode on.
    return search_operation(
        base, text, scope, ldap3.DEREF_ALWAYS, attributes, 0, 0, False, True, True
    )


_NAMES = st.sampled_from(
    ["uid", "cn", "mail", "entryUUID", "employeeNumber", "cn;lang-fr", "2.5.4.3"]
)
# Values as the filter translator writes them, plus unescaped letters
# outside ASCII (ldap3 sends those as UTF-8 as well).
_VALUES = st.one_of(
    st.text(max_size=12).map(escape_filter_value),
    st.text(alphabet="abcé中ß-_.@0", min_size=1, max_size=8),
)
_PIECES = st.lists(_VALUES.filter(bool), min_size=1, max_size=3)


def _substring(name: str, initial: str, middle: list[str], final: str) -> str:
    return f"({name}={initial}*{'*'.join(middle)}{'*' if middle else ''}{final})"


_LEAVES = st.one_of(
    st.builds(
        lambda n, op, v: f"({n}{op}{v})",
        _NAMES,
        st.sampled_from(["=", ">=", "<=", "~="]),
        _VALUES,
    ),
    _NAMES.map(lambda n: f"({n}=*)"),
    st.builds(
        _substring,
        _NAMES,
        _VALUES,
        st.lists(_VALUES.filter(bool), max_size=3),
        _VALUES,
    ),
    st.builds(
        lambda n, dn, rule, v: f"({n}{dn}{rule}:={v})",
        _NAMES,
        st.sampled_from(["", ":dn", ":DN"]),
        st.sampled_from(["", ":caseExactMatch", ":2.5.13.5"]),
        _VALUES,
    ),
    st.builds(
        lambda dn, rule, v: f"({dn}{rule}:={v})",
        st.sampled_from(["", ":dn"]),
        st.sampled_from([":caseExactMatch", ":2.5.13.2"]),
        _VALUES,
    ),
)
_FILTERS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        inner.map(lambda f: f"(!{f})"),
        st.builds(
            lambda op, parts: f"({op}{''.join(parts)})",
            st.sampled_from("&|"),
            st.lists(inner, min_size=1, max_size=4),
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    text=_FILTERS,
    scope=st.sampled_from([ldap3.BASE, ldap3.LEVEL, ldap3.SUBTREE]),
    attributes=st.lists(_NAMES, max_size=4),
)
def test_a_search_is_byte_for_byte_what_ldap3_sends(
    text: str, scope: str, attributes: list[str]
) -> None:
    """Every filter shape, escapes, scopes and attribute lists."""
    base = "ou=people,dc=example,dc=org"
    ours = wire.message(7, wire.search_request(base, text, scope, attributes), [])

    assert ours == _ldap3_message(
        "searchRequest", _ldap3_search(base, text, scope, attributes), []
    )


@settings(max_examples=100, deadline=None)
@given(
    attributes=st.dictionaries(
        _NAMES, st.lists(st.text(max_size=20), min_size=1, max_size=4), max_size=5
    ),
    dn=st.text(max_size=30),
)
def test_an_add_is_byte_for_byte_what_ldap3_sends(
    attributes: dict[str, list[str]], dn: str
) -> None:
    ours = wire.message(7, wire.add_request(dn, attributes), [])

    assert ours == _ldap3_message("addRequest", add_operation(dn, attributes, True), [])


@settings(max_examples=100, deadline=None)
@given(
    changes=st.dictionaries(
        _NAMES,
        st.tuples(
            st.sampled_from(["add", "delete", "replace"]),
            st.lists(st.text(max_size=20), max_size=3),
        ),
        max_size=4,
    )
)
def test_a_modify_is_byte_for_byte_what_ldap3_sends(
    changes: dict[str, tuple[str, list[str]]],
) -> None:
    dn = "cn=g,ou=groups,dc=example,dc=org"
    ours = wire.modify_request(
        dn, [(op, name, values) for name, (op, values) in changes.items()]
    )
    reference = {
        name: [(_MODIFY[op], values)] for name, (op, values) in changes.items()
    }

    assert wire.message(7, ours, []) == _ldap3_message(
        "modifyRequest", modify_operation(dn, reference, True), []
    )


@pytest.mark.parametrize("cookie", [None, b"", b"\x00\x01cookie" * 40])
def test_controls_are_byte_for_byte_what_ldap3_sends(cookie: bytes | None) -> None:
    """Critical and not, with and without a value, and the paged control
    with short and long (multi-byte length) cookies."""
    request = wire.search_request("", "(objectClass=*)", ldap3.BASE, ["1.1"])
    controls = [assertion("(entryCSN=x)"), ("1.2.840.113556.1.4.1413", False, None)]
    controls.append(post_read(["entryUUID", "entryCSN"]))

    ours = wire.message(7, request, [*controls, wire.paged(500, cookie)])

    reference = _ldap3_search("", "(objectClass=*)", ldap3.BASE, ["1.1"])
    expected = [*controls, paged_search_control(False, 500, cookie)]
    assert ours == _ldap3_message("searchRequest", reference, expected)


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_integers_are_minimal_twos_complement(number: int) -> None:
    """X.690 §8.3.2: the value, in bytes whose first nine bits are never
    all equal (pyasn1 itself writes -128 in two)."""
    encoded = ber.integer(number)
    tag, size, body = encoded[0], encoded[1], encoded[2:]

    assert (tag, size, int.from_bytes(body, "big", signed=True)) == (
        2, len(body), number,
    )  # fmt: skip
    if len(body) > 1:
        assert (body[0], body[1] >> 7) not in ((0, 0), (0xFF, 1))


def test_a_value_keeps_the_spaces_around_it() -> None:
    """RFC 4515 has no insignificant spaces; ldap3 strips them."""
    assert compile_filter("(cn= a b )") == b"\xa3\x0b\x04\x02cn\x04\x05 a b "


def test_the_empty_and_and_or_are_rfc_4526_true_and_false() -> None:
    assert (compile_filter("(&)"), compile_filter("(|)")) == (b"\xa0\x00", b"\xa1\x00")


def test_compiled_filters_are_not_kept() -> None:
    """A client may send filters of a megabyte: none of them stays behind
    (a cache of 256 compiled filters once held a gigabyte)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(20):
            compile_filter(f"(uid={number}{'x' * 500_000})")
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert retained < 100_000


@pytest.mark.parametrize(
    "text",
    [
        "",
        "uid=x",
        "(uid=x",
        "(uid=x))",
        "((uid=x))",
        "(uid=x\\4)",
        "(uid=x\\zz)",
        "(uid=a(b)",
        "(=x)",
        "(u id=x)",
        "(!(a=b)(c=d))",
        "(!)",
        "(:=x)",
        "(uid:dn:a:b:=x)",
        "(uid:bad rule:=x)",
        " (uid=x)",
        "(&(uid=x) )",
        "(cn=**)",
        "(cn>=a*b)",
        "(cn<=*)",
        "(cn~=a*)",
        "(cn:caseExactMatch:=a*)",
    ],
)
def test_a_malformed_filter_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="invalid LDAP filter"):
        compile_filter(text)


@pytest.fixture
def bound(general_stack: Stack) -> Iterator[ldap3.Connection]:
    slapd = general_stack.slapd
    conn = ldap3.Connection(slapd.uri, slapd.root_dn, slapd.root_password)
    conn.bind()
    yield conn
    conn.unbind()


def test_slapd_answers_a_written_search_as_ldap3_reads_it(
    bound: ldap3.Connection, general_stack: Stack
) -> None:
    """The answer lands where ldap3's own search puts it; ``(&)`` is true."""
    suffix = general_stack.slapd.suffix

    wire.search(bound, suffix, "(&)", ldap3.BASE, ["dc"], [wire.paged(10, None)])

    assert bound.result["result"] == 0
    assert [(e["dn"], e["raw_attributes"]["dc"]) for e in bound.response] == [
        (suffix, [suffix.split(",")[0][3:].encode()])
    ]


def test_a_written_add_then_modify_lands(
    bound: ldap3.Connection, general_stack: Stack
) -> None:
    dn = f"cn=wire-test,ou=groups,{general_stack.slapd.suffix}"
    member = f"uid=nobody,ou=people,{general_stack.slapd.suffix}"
    try:
        wire.add(bound, dn, {"objectClass": ["groupOfNames"], "member": [member]})
        assert bound.result["result"] == 0
        wire.modify(bound, dn, [("replace", "description", ["  spaced  "])])
        assert bound.result["result"] == 0

        bound.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["description"])
        assert bound.response[0]["raw_attributes"]["description"] == [b"  spaced  "]
    finally:
        bound.delete(dn)


def test_a_closed_connection_is_unreachable(bound: ldap3.Connection) -> None:
    """Nothing is written on a dead link; the caller sees a 503."""
    bound.unbind()

    with pytest.raises(Unreachable), translated("search"):
        wire.search(bound, "", "(objectClass=*)", ldap3.BASE, ["1.1"])


class _StalledSocket:
    def sendall(self, data: bytes) -> None:
        raise TimeoutError("timed out")


def test_a_send_that_times_out_is_reported_as_timed_out(
    bound: ldap3.Connection,
) -> None:
    """The pool leaves a silent directory only for a timeout (a peer that
    stopped reading fills the socket buffer, and sendall times out)."""
    real = bound.socket
    bound.socket = _StalledSocket()
    try:
        with pytest.raises(Unreachable) as caught, translated("modify"):
            wire.modify(bound, "cn=x", [("add", "member", ["cn=y"])])
    finally:
        bound.socket = real

    assert caught.value.timed_out is True


async def test_a_malformed_filter_reaching_the_directory_is_a_bridge_failure(
    general_stack: Stack,
) -> None:
    """Only the bridge writes LDAP filters: a bad one is its own fault (500)."""
    directory = general_stack.directory(general_stack.settings())
    try:
        with pytest.raises(DirectoryFailure):
            await directory.search(general_stack.slapd.suffix, "(uid=a(b)", ["uid"])
    finally:
        directory.close()
