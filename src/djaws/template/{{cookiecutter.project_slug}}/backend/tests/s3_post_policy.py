"""S3's checks of a browser POST upload, written from the S3 specification rather than from boto3 or moto.

S3 stores a POSTed file only if the form carries a valid Signature Version 4 over its base64 policy,
the policy has not expired, every condition holds (exact match, starts-with, content-length-range)
and every form field except ``x-amz-signature``, ``file``, ``policy`` and ``x-ignore-*`` is bound by
a condition (docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html and
sigv4-authentication-HTTPPOST.html). Field names match case-insensitively, values exactly.

moto (5.2.5, the version the lock pins) stores whatever is posted and ignores the ``tagging`` field;
``enforcing_post_policies`` makes its S3 refuse what S3 refuses and tag the object from the form, so a
test that posts a form sees what the browser would see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

# Form fields no condition needs to bind: the signature, the file and the policy itself.
UNSIGNED_FIELDS = {"x-amz-signature", "file", "policy"}
IGNORED_PREFIX = "x-ignore-"
ALGORITHM = "AWS4-HMAC-SHA256"
# S3's HTTP status for each refusal this module raises.
STATUS_BY_CODE = {
    "AccessDenied": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidAccessKeyId": 403,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "InvalidPolicyDocument": 400,
    "InvalidRequest": 400,
}


class PostRefused(Exception):
    """S3 would refuse the POST; ``code`` is S3's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]


@dataclass(frozen=True)
class Condition:
    """One policy condition: ``eq`` or ``starts-with`` on a field (lower-case), or ``content-length-range``."""

    operator: str
    field: str
    value: Any


def decode_policy(form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON policy document a form carries."""
    encoded = {name.lower(): value for name, value in form.items()}.get("policy", "")
    try:
        return json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as error:
        raise PostRefused("InvalidPolicyDocument", f"the policy cannot be read: {error}") from error


def conditions_of(policy: Mapping[str, Any]) -> list[Condition]:
    """The policy's conditions; a malformed one refuses the whole policy, as S3 does."""
    conditions: list[Condition] = []
    for entry in policy.get("conditions", []):
        if isinstance(entry, dict):
            conditions += [Condition("eq", name.lower(), value) for name, value in entry.items()]
        elif isinstance(entry, list) and len(entry) == 3 and entry[0] == "content-length-range":
            if not all(isinstance(bound, int) for bound in entry[1:]):
                raise PostRefused("InvalidPolicyDocument", f"bad content-length-range: {entry}")
            conditions.append(Condition("content-length-range", "", (entry[1], entry[2])))
        elif isinstance(entry, list) and len(entry) == 3 and entry[0] in ("eq", "starts-with"):
            operator, name, value = entry
            if not (isinstance(name, str) and name.startswith("$") and isinstance(value, str)):
                raise PostRefused("InvalidPolicyDocument", f"bad condition: {entry}")
            conditions.append(Condition(operator, name[1:].lower(), value))
        else:
            raise PostRefused("InvalidPolicyDocument", f"unknown condition: {entry}")
    return conditions


def unbound_fields(form: Mapping[str, str], conditions: list[Condition]) -> list[str]:
    """The form fields S3 requires a condition for and that have none."""
    bound = {condition.field for condition in conditions}
    return sorted(
        name
        for name in form
        if name.lower() not in UNSIGNED_FIELDS
        and not name.lower().startswith(IGNORED_PREFIX)
        and name.lower() not in bound
    )


def signature(policy: str, secret_key: str, date: str, region: str, service: str = "s3") -> str:
    """The Signature Version 4 of a base64 policy: HMAC-SHA256 with the key derived for the date and region."""
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def expiration_of(policy: Mapping[str, Any]) -> datetime:
    """When the policy stops being valid (ISO 8601 in GMT, with or without milliseconds)."""
    text = str(policy.get("expiration", ""))
    for layout in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise PostRefused("InvalidPolicyDocument", f"expiration {text!r} is not an ISO 8601 GMT time")


def check_signature(form: Mapping[str, str], secret_keys: Mapping[str, str]) -> None:
    """Refuse a form whose x-amz-signature is not the one its credential's secret key gives."""
    fields = {name.lower(): value for name, value in form.items()}
    if fields.get("x-amz-algorithm") != ALGORITHM:
        raise PostRefused("InvalidRequest", f"x-amz-algorithm must be {ALGORITHM}")
    credential = fields.get("x-amz-credential", "").split("/")
    if len(credential) != 5 or credential[3:] != ["s3", "aws4_request"]:
        raise PostRefused("InvalidRequest", "x-amz-credential is not <key>/<date>/<region>/s3/aws4_request")
    access_key, date, region = credential[:3]
    if not fields.get("x-amz-date", "").startswith(date):
        raise PostRefused("InvalidRequest", "x-amz-date is not the credential's date")
    if access_key not in secret_keys:
        raise PostRefused("InvalidAccessKeyId", f"no such access key: {access_key}")
    expected = signature(fields.get("policy", ""), secret_keys[access_key], date, region)
    if not hmac.compare_digest(expected, fields.get("x-amz-signature", "")):
        raise PostRefused("SignatureDoesNotMatch", "the signature does not match the policy")


def check_post(
    form: Mapping[str, str], *, bucket: str, size: int, secret_keys: Mapping[str, str], now: datetime
) -> None:
    """Raise PostRefused unless S3 would store ``size`` bytes posted to ``bucket`` with these form fields."""
    check_signature(form, secret_keys)
    policy = decode_policy(form)
    if now >= expiration_of(policy):
        raise PostRefused("AccessDenied", "Invalid according to Policy: Policy expired.")
    conditions = conditions_of(policy)
    values = {name.lower(): value for name, value in form.items()} | {"bucket": bucket}
    for condition in conditions:
        if condition.operator == "content-length-range":
            smallest, largest = condition.value
            if size > largest:
                raise PostRefused("EntityTooLarge", f"{size} bytes exceed the policy's {largest}")
            if size < smallest:
                raise PostRefused("EntityTooSmall", f"{size} bytes are below the policy's {smallest}")
            continue
        actual = values.get(condition.field)
        if actual is None or not _holds(condition, actual):
            raise PostRefused(
                "AccessDenied",
                f'Invalid according to Policy: Policy Condition failed: ["{condition.operator}", '
                f'"${condition.field}", "{condition.value}"]',
            )
    extra = unbound_fields(form, conditions)
    if extra:
        raise PostRefused("AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")


def _holds(condition: Condition, actual: str) -> bool:
    if condition.operator == "eq":
        return actual == condition.value
    if condition.field == "content-type":
        # A Content-Type may list several types; each must start with the prefix.
        return all(part.strip().startswith(condition.value) for part in actual.split(","))
    return actual.startswith(condition.value)


def tags_from_form(form: Mapping[str, str]) -> dict[str, str]:
    """The tags a form's ``tagging`` field (a Tagging XML document) gives the object."""
    for name, value in form.items():
        if name.lower() == "tagging":
            document = ElementTree.fromstring(value)  # noqa: S314 (the test's own form, not outside input)
            return {tag.findtext("Key", ""): tag.findtext("Value", "") for tag in document.iter("Tag")}
    return {}


@contextmanager
def enforcing_post_policies(secret_keys: Mapping[str, str]) -> Iterator[None]:
    """While open, moto's S3 (in-process or its server in this process) checks POST uploads as S3 does.

    A refused post gets S3's error status and XML and stores nothing; an accepted one is stored by
    moto and then tagged from the form's ``tagging`` field. Posts that delete objects pass untouched.
    """
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post

    def checked_post(self: Any, request: Any, bucket_name: str) -> Any:
        self.path = self._get_path(request)  # as moto's own handler sets it, query included
        if self.is_delete_keys():
            return original(self, request, bucket_name)
        form = {name: value for name, value in self.form_data.items() if name != "file"}
        body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
        try:
            check_post(form, bucket=bucket_name, size=len(body), secret_keys=secret_keys, now=datetime.now(UTC))
        except PostRefused as refused:
            error = f"<Error><Code>{refused.code}</Code><Message>{escape(refused.message)}</Message></Error>"
            return refused.status, {"Content-Type": "application/xml"}, error
        response = original(self, request, bucket_name)
        tags = tags_from_form(form)
        if tags:
            stored = self.backend.get_object(bucket_name, self.querystring["key"][0])
            self.backend.put_object_tagging(stored, tags)
        return response

    S3Response._bucket_response_post = checked_post
    try:
        yield
    finally:
        S3Response._bucket_response_post = original
