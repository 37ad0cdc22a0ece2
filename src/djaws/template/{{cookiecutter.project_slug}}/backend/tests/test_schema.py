"""The OpenAPI schema at /api/schema/ states every status an operation answers with, and the rules the
server checks, read from the same settings and validators the checks use."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from rest_framework.test import APIClient

from apps.accounts.fields import EMAIL_DOMAIN, PASSWORD_MAX_LENGTH
from apps.core.schema import SOME_TEXT, WHITESPACE
from apps.files.pagination import NewestFirstPagination

pytestmark = pytest.mark.django_db


def api_schema() -> dict[str, Any]:
    """The schema as clients read it."""
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def request_fields(schema: dict[str, Any], component: str) -> dict[str, Any]:
    return schema["components"]["schemas"][component]["properties"]


def body_of(response: dict[str, Any]) -> str:
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("method", "path", "errors"),
    [
        ("get", "/api/files/{id}/", {"401", "404", "503"}),
        ("get", "/api/files/", {"400", "401", "404", "503"}),
        ("post", "/api/files/{id}/complete/", {"400", "401", "404", "409", "503"}),
        ("post", "/api/auth/register/", {"400", "409", "415", "429", "503"}),
        ("post", "/api/auth/token/", {"400", "401", "415", "429", "503"}),
        ("get", "/api/health/", set()),
    ],
)
def test_operations_document_their_errors_and_bodies(method: str, path: str, errors: set[str]) -> None:
    responses = api_schema()["paths"][path][method]["responses"]
    bodies = {status: body_of(responses[status]) for status in responses if status >= "400"}
    assert bodies == {status: "ValidationError" if status == "400" else "Error" for status in errors}


def test_waits_are_documented_with_retry_after() -> None:
    responses = api_schema()["paths"]["/api/auth/token/refresh/"]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]


def test_readiness_keeps_its_own_503_body() -> None:
    responses = api_schema()["paths"]["/api/health/ready/"]["get"]["responses"]
    assert body_of(responses["503"]) == body_of(responses["200"])


def test_open_operations_do_not_claim_a_401() -> None:
    paths = api_schema()["paths"]
    assert "401" not in paths["/api/health/ready/"]["get"]["responses"]
    assert "401" not in paths["/api/auth/register/"]["post"]["responses"]


def test_upload_rules_are_the_settings(settings: Any) -> None:
    settings.FILE_ALLOWED_CONTENT_TYPES = ["text/csv", "image/png"]
    settings.FILE_UPLOAD_MAX_BYTES = 1234
    schema = api_schema()
    fields = request_fields(schema, "UploadRequestRequest")
    content_type = schema["components"]["schemas"][fields["content_type"]["$ref"].rsplit("/", 1)[-1]]
    assert content_type["enum"] == settings.FILE_ALLOWED_CONTENT_TYPES
    assert (fields["size"]["minimum"], fields["size"]["maximum"]) == (1, 1234)
    assert (fields["filename"]["maxLength"], fields["filename"]["pattern"]) == (255, SOME_TEXT)


def test_password_rules_are_the_validators() -> None:
    fields = request_fields(api_schema(), "RegisterRequest")
    minimum = next(
        rule.min_length
        for rule in password_validation.get_default_password_validators()
        if isinstance(rule, password_validation.MinimumLengthValidator)
    )
    assert (fields["password"]["minLength"], fields["password"]["maxLength"]) == (minimum, PASSWORD_MAX_LENGTH)
    assert fields["password"]["pattern"] == "[^0-9]"
    assert fields["email"]["format"] == "email"
    assert fields["email"]["pattern"].startswith("@")


def test_page_size_bounds_are_the_paginators() -> None:
    parameters = api_schema()["paths"]["/api/files/"]["get"]["parameters"]
    page_size = next(parameter for parameter in parameters if parameter["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": NewestFirstPagination.max_page_size}


def test_the_whitespace_class_is_what_drf_trims() -> None:
    whitespace = re.compile(f"[{WHITESPACE}]")
    assert all(bool(whitespace.fullmatch(chr(code))) == chr(code).isspace() for code in range(0x110000))


@pytest.mark.parametrize(
    "address", ["a@b.co", "A@B.COM", "a@münchen.de", "a@xn--mnchen-3ya.de", "0@0.a", "a@b.c0", "a@-b.com", "a@b-.com"]
)
def test_the_email_domain_pattern_agrees_with_django(address: str) -> None:
    try:
        validate_email(address)
    except ValidationError:
        django_accepts = False
    else:
        django_accepts = True
    assert bool(EMAIL_DOMAIN.regex.search(address)) == django_accepts
