"""The tolerances the bridge reads payloads with, and validation errors."""

import re

from pydantic import ValidationError
from scim2_models import Error, InvalidValueException, SCIMException, ScimPolicy

__all__ = ["POLICY", "readable", "validation_error"]

POLICY = ScimPolicy(
    # Entra's default dialect: a remove's value list selects what goes.
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    # Add/Replace through emails[type eq "work"] creates the typed entry.
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
    # Entra's group schema URN, top-level nulls and unmapped attributes.
    unknown=ScimPolicy.Unknown.ignore,
)
"""Entra ID's deviations from RFC 7644 that the bridge accepts."""


def _camel(match: re.Match[str]) -> str:
    head, *rest = match.group(0).split("_")
    return head + "".join(part.title() for part in rest)


def _scim_names(detail: str | None) -> str:
    """Field names in a detail as SCIM spells them (user_name → userName):
    a re-validated resource reports pydantic's names, not the aliases."""
    text = detail or "The value is not valid"
    message, sep, path = text.rpartition(": ")
    if not sep:
        return text
    return f"{message}: {re.sub(r'[a-z]+(?:_[a-z]+)+', _camel, path)}"


def validation_error(error: ValidationError) -> SCIMException:
    """The first pydantic error of a payload as a SCIM error (400)."""
    first = Error.from_validation_errors(error)[0]
    first.detail = _scim_names(first.detail)
    exc = SCIMException.from_error(first) if first.scim_type else None
    if exc is not None:
        return exc
    return InvalidValueException(detail=first.detail)


def readable(exc: SCIMException) -> SCIMException:
    """The same error with pydantic's report turned into one line.

    scim2-models raises PATCH value errors with the whole pydantic text as
    detail ("1 validation error for User ... For further information visit
    ..."): a client needs the attribute and the reason only.
    """
    cause = exc.__cause__
    if isinstance(cause, ValidationError) and "validation error" in exc.detail:
        better = validation_error(cause)
        better.__cause__ = cause
        return better
    return exc
