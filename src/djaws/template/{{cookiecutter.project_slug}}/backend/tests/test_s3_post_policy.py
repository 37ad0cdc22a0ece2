"""The POST policy checker the S3 tests rely on, against the worked example in S3's documentation.

docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html publishes a policy, the example
credentials, the form and the signature S3 accepts: the checker must agree with it before its
verdicts on the backend's forms mean anything.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.s3_post_policy import PostRefused, check_post, decode_policy

SECRET_KEYS = {"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
BUCKET = "sigv4examplebucket"
# The example's policy, base64 as published (its JSON has CRLF line ends).
POLICY = (
    "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJza"
    "Wd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdW"
    "JsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25"
    "hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0s"
    "DQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iO"
    "iAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYW"
    "wiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3J"
    "pdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
)
# The example's form, field names spelled as it spells them.
FORM = {
    "key": "user/user1/photo.jpg",
    "acl": "public-read",
    "success_action_redirect": "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
    "Content-Type": "image/jpeg",
    "x-amz-meta-uuid": "14365123651274",
    "x-amz-server-side-encryption": "AES256",
    "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Date": "20151229T000000Z",
    "x-amz-meta-tag": "",
    "Policy": POLICY,
    "X-Amz-Signature": "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e",
}
BEFORE_EXPIRY = datetime(2015, 12, 30, 11, 59, 59, tzinfo=UTC)


def check(form: dict[str, str], *, size: int = 1024, now: datetime = BEFORE_EXPIRY, bucket: str = BUCKET) -> None:
    check_post(form, bucket=bucket, size=size, secret_keys=SECRET_KEYS, now=now)


def test_the_documented_form_is_accepted() -> None:
    assert decode_policy(FORM)["expiration"] == "2015-12-30T12:00:00.000Z"
    check(FORM)
    # Any size: the example's policy has no content-length-range.
    check(FORM, size=10**9)
    # Fields named x-ignore-* need no condition.
    check({**FORM, "x-ignore-note": "anything"})


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"key": "user/user2/photo.jpg"}, "AccessDenied"),  # starts-with user/user1/
        ({"Content-Type": "text/html"}, "AccessDenied"),  # starts-with image/
        ({"Content-Type": "image/jpeg, text/html"}, "AccessDenied"),  # each listed type must match
        ({"acl": "public-read-write"}, "AccessDenied"),  # exact match
        ({"x-amz-meta-uuid": None}, "AccessDenied"),  # a condition on a missing field fails
        ({"x-amz-meta-extra": "1"}, "AccessDenied"),  # a field no condition names
        ({"X-Amz-Signature": FORM["X-Amz-Signature"][:-1] + "f"}, "SignatureDoesNotMatch"),
        ({"X-Amz-Credential": "AKIAI44QH8DHBEXAMPLE/20151229/us-east-1/s3/aws4_request"}, "InvalidAccessKeyId"),
        ({"X-Amz-Date": "20151230T000000Z"}, "InvalidRequest"),  # not the credential's date
        ({"X-Amz-Algorithm": "AWS4-HMAC-SHA1"}, "InvalidRequest"),
    ],
)
def test_a_form_that_breaks_the_documented_policy_is_refused(change: dict[str, str | None], code: str) -> None:
    form = {name: value for name, value in {**FORM, **change}.items() if value is not None}
    with pytest.raises(PostRefused) as refused:
        check(form)
    assert refused.value.code == code


def test_the_documented_form_expires_and_names_its_bucket() -> None:
    with pytest.raises(PostRefused, match="expired"):
        check(FORM, now=datetime(2015, 12, 30, 12, 0, 0, tzinfo=UTC))
    with pytest.raises(PostRefused, match="bucket"):
        check(FORM, bucket="anotherbucket")


def test_conditions_are_read_as_the_specification_writes_them() -> None:
    from tests.s3_post_policy import Condition, conditions_of

    policy = {"conditions": [["content-length-range", 10, 20], {"key": "a"}, ["starts-with", "$Content-Type", ""]]}
    assert conditions_of(policy) == [
        Condition("content-length-range", "", (10, 20)),
        Condition("eq", "key", "a"),
        Condition("starts-with", "content-type", ""),
    ]
    for malformed in (["ends-with", "$key", "a"], ["content-length-range", "1", 2], ["eq", "key", "a"]):
        with pytest.raises(PostRefused, match="InvalidPolicyDocument"):
            conditions_of({"conditions": [malformed]})
