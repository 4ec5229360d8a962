"""LDAP results and connection errors become the right SCIM answer."""

import pytest
from ldap3.core.exceptions import LDAPSocketOpenError, LDAPSocketReceiveError
from scim2_models import InvalidValueException, UniquenessException

from bridge.directory.errors import Unreachable, check_result, translated


def test_the_unique_overlay_refusal_is_a_uniqueness_conflict() -> None:
    """slapo-unique's constraintViolation is 409 uniqueness, not 400."""
    result = {"result": 19, "message": "non-unique attributes found with (uid=a)"}

    with pytest.raises(UniquenessException) as caught:
        check_result(result, operation="modrdn")

    assert caught.value.detail == "Another resource already has that value"


def test_another_constraint_violation_stays_an_invalid_value() -> None:
    """Any other constraintViolation is the client's value: 400."""
    result = {"result": 19, "message": "attribute 'uid' cannot have multiple values"}

    with pytest.raises(InvalidValueException):
        check_result(result, operation="modify")


def test_a_receive_timeout_is_reported_as_timed_out() -> None:
    """ldap3 mixes TimeoutError into its receive error: that marks a silent
    directory, which a read may not simply repeat on the same URI."""
    error = type("LDAPSocketReceiveError", (LDAPSocketReceiveError, TimeoutError), {})

    with pytest.raises(Unreachable) as caught, translated("search"):
        raise error("error receiving data: timed out")

    assert (caught.value.timed_out, caught.value.status) == (True, 503)


def test_a_refused_connection_is_unreachable_but_not_timed_out() -> None:
    """A refused connect is a 503 whose reason names the operation."""
    with pytest.raises(Unreachable) as caught, translated("connect"):
        raise LDAPSocketOpenError("socket connection error while opening: refused")

    assert caught.value.timed_out is False
    assert (
        caught.value.reason == "connect: socket connection error while opening: refused"
    )
    assert caught.value.detail == "The directory is unavailable; retry later"


def test_a_tls_failure_reason_is_the_plain_message() -> None:
    """ldap3's tuple-wrapped TLS error text is unwrapped for the operator."""
    wrapped = (
        "(\"('socket ssl wrapping error: [SSL: CERTIFICATE_VERIFY_FAILED] x',)\",)"
    )

    with pytest.raises(Unreachable) as caught, translated("connect"):
        raise LDAPSocketOpenError(wrapped)

    assert caught.value.reason == (
        "connect: socket ssl wrapping error: [SSL: CERTIFICATE_VERIFY_FAILED] x"
    )
