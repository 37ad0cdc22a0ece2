"""The API schema states every status an operation answers with, and the JSON body each error carries.

drf-spectacular documents the success response. The error statuses follow from what an operation is,
so a new view is documented without listing them by hand:

- 400 where the request has a body or query parameters (a field is invalid, or the body is unreadable);
- 401 where the operation requires an access token;
- 404 where the path names a resource (another user's does not exist either), and on paginated lists
  (a cursor that is not valid);
- 415 where the request has a body that is not JSON;
- 429 where a throttle applies, and 503 wherever the database, cache or storage is used and cannot be
  reached (apps/core/errors.py), both with Retry-After;
- any other status a view lists in ``error_responses`` (status → when), or in ``@extend_schema``.

The bodies are what DRF's exception handler and apps/core/errors.py write: ``{"detail": ...}``, and for
a 400 each invalid field with its messages.

Request text fields also state the rules DRF applies to every string field: no NUL character, and
(unless blank is allowed) some character besides the whitespace DRF trims.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance
from rest_framework import serializers

ERROR_BODY = {
    "type": "object",
    "description": "What went wrong, in words; some errors add a machine-readable code.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
MESSAGES = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
VALIDATION_ERROR_BODY = {
    "type": "object",
    "description": (
        "Each invalid field with its messages; non_field_errors for the request as a whole; "
        "detail alone when the body cannot be read."
    ),
    "additionalProperties": MESSAGES,
}


def character_class(characters: str) -> str:
    """A regular-expression class body for the characters, in escapes Python and ECMA-262 read alike."""
    codes = sorted(map(ord, characters))
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{low:04x}" + (f"-\\u{high:04x}" if high > low else "") for low, high in ranges)


# What str.strip() removes, so what DRF's trim_whitespace removes; all of it is in the BMP.
WHITESPACE = character_class("".join(character for character in map(chr, range(0x10000)) if character.isspace()))
NO_NUL = "^[^\\u0000]*$"
SOME_TEXT = f"^[^\\u0000]*[^\\u0000{WHITESPACE}][^\\u0000]*$"
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
STATUSES_WITH_RETRY_AFTER = (429, 503)


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the error responses of each operation added."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status, description in self.error_statuses(operation).items():
            responses.setdefault(str(status), {"description": description})
        for status, response in responses.items():
            if status >= "400" and "content" not in response:
                self._add_error_body(int(status), response)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_statuses(self, operation: dict[str, Any]) -> dict[int, str]:
        """The errors this operation can answer with, by status, each with when it happens."""
        parameters = operation.get("parameters", [])
        statuses: dict[int, str] = {}
        if "requestBody" in operation or any(parameter["in"] == "query" for parameter in parameters):
            statuses[400] = "the request is not valid: see the messages of each field"
        if "requestBody" in operation:
            statuses[415] = "the body is not JSON (Content-Type: application/json)"
        # An operation whose only security requirement is {} takes a token but does not need one.
        if any(operation.get("security", [])):
            statuses[401] = "no valid access token (Authorization: Bearer <access>)"
        if any(parameter["in"] == "path" for parameter in parameters):
            statuses[404] = "no such resource among the caller's own"
        elif self._is_list_view() and self._get_paginator() is not None:
            statuses[404] = "the page cursor is not valid"
        if self.view.throttle_classes:
            statuses[429] = "too many requests; Retry-After says how many seconds to wait"
        if not getattr(self.view, "reaches_no_service", False):
            statuses[503] = "the database, cache or storage cannot be reached; Retry-After says when to try again"
        statuses.update(getattr(self.view, "error_responses", {}))
        return statuses

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request":
            properties = schema.get("properties", {})
            for name, field in force_instance(serializer).fields.items():
                if name in properties and isinstance(field, serializers.CharField) and not field.read_only:
                    add_text_rule(field, properties[name])
        return schema

    def _add_error_body(self, status: int, response: dict[str, Any]) -> None:
        name, body = ("ValidationError", VALIDATION_ERROR_BODY) if status == 400 else ("Error", ERROR_BODY)
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=body)
        self.registry.register_on_missing(component)
        response["content"] = {media_type: {"schema": component.ref} for media_type in self.map_renderers("media_type")}
        if status in STATUSES_WITH_RETRY_AFTER:
            response["headers"] = RETRY_AFTER


def add_text_rule(field: serializers.CharField, schema: dict[str, Any]) -> None:
    """The pattern of what every DRF string field refuses, beside any pattern of the field's own."""
    rule = NO_NUL if field.allow_blank or not field.trim_whitespace else SOME_TEXT
    if "pattern" in schema:
        schema.setdefault("allOf", []).append({"pattern": rule})
    else:
        schema["pattern"] = rule
