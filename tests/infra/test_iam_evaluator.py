"""The IAM evaluator the role tests rely on (support/iam_policy.py), against the rules of AWS's documentation.

Each case is a rule stated in the IAM User Guide's "Policy evaluation logic" and "IAM JSON policy
elements: Condition operators" pages, so a mistake in the evaluator that would let a role test pass
wrongly (an ignored deny, a wildcard that matches too much, a condition treated as met) fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.iam_policy import AuthorizationRequest, Effect, UnsupportedPolicy, evaluate

ROLE = "arn:aws:iam::123456789012:role/app"


def decide(statements: list[dict[str, Any]], action: str, resource: str, **context: str) -> Effect:
    policy = {"Version": "2012-10-17", "Statement": statements}
    return evaluate(AuthorizationRequest(action, resource, context), [policy], principal_arn=ROLE).effect


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_an_explicit_deny_overrides_any_allow() -> None:
    statements = [allow("s3:*", "*"), {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]
    assert decide(statements, "s3:DeleteBucket", "arn:aws:s3:::media") is Effect.EXPLICIT_DENY
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::media/a") is Effect.ALLOW


def test_nothing_matching_is_an_implicit_deny() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::media/*")]
    assert decide(statements, "s3:PutObject", "arn:aws:s3:::media/a") is Effect.IMPLICIT_DENY
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::other/a") is Effect.IMPLICIT_DENY
    assert decide([], "s3:GetObject", "arn:aws:s3:::media/a") is Effect.IMPLICIT_DENY


def test_actions_match_without_case_and_resources_with_it() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::media/Uploads/*")]
    assert decide(statements, "S3:getobject", "arn:aws:s3:::media/Uploads/a") is Effect.ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::media/uploads/a") is Effect.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("arn:aws:s3:::media/incoming/*", "arn:aws:s3:::media/incoming/7/f/a.txt", True),
        ("arn:aws:s3:::media/incoming/*", "arn:aws:s3:::media/uploads/7/a.txt", False),
        ("arn:aws:s3:::media", "arn:aws:s3:::media/a", False),  # a bucket ARN is not its objects
        ("arn:aws:s3:::media/*", "arn:aws:s3:::media", False),  # ... nor the other way round
        ("arn:aws:ecs:*:123:task-definition/web:?", "arn:aws:ecs:eu-west-1:123:task-definition/web:7", True),
        ("arn:aws:ecs:*:123:task-definition/web:?", "arn:aws:ecs:eu-west-1:123:task-definition/web:17", False),
        ("arn:aws:s3:::media/[ab]", "arn:aws:s3:::media/a", False),  # brackets are literal in IAM
    ],
)
def test_resource_wildcards(pattern: str, resource: str, matches: bool) -> None:
    expected = Effect.ALLOW if matches else Effect.IMPLICIT_DENY
    assert decide([allow("s3:GetObject", pattern)], "s3:GetObject", resource) is expected


def test_not_action_allows_everything_else() -> None:
    statements = [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::media/a") is Effect.ALLOW
    assert decide(statements, "iam:PassRole", "arn:aws:iam::123456789012:role/x") is Effect.IMPLICIT_DENY


def test_a_condition_key_missing_from_the_request() -> None:
    """Positive operators fail on a missing key, negated ones and ...IfExists hold."""
    role = "arn:aws:iam::123456789012:role/task"
    equals = [
        allow("iam:PassRole", role, Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})
    ]
    assert decide(equals, "iam:PassRole", role) is Effect.IMPLICIT_DENY
    assert decide(equals, "iam:PassRole", role, **{"iam:PassedToService": "ecs-tasks.amazonaws.com"}) is Effect.ALLOW
    not_equals = [allow("s3:GetObject", "*", Condition={"StringNotEquals": {"aws:ResourceTag/Stage": "prod"}})]
    assert decide(not_equals, "s3:GetObject", "arn:aws:s3:::m/a") is Effect.ALLOW
    assert decide(not_equals, "s3:GetObject", "arn:aws:s3:::m/a", **{"aws:ResourceTag/Stage": "prod"}) is (
        Effect.IMPLICIT_DENY
    )
    if_exists = [allow("s3:GetObject", "*", Condition={"StringEqualsIfExists": {"s3:prefix": "uploads/"}})]
    assert decide(if_exists, "s3:GetObject", "arn:aws:s3:::m/a") is Effect.ALLOW
    assert decide(if_exists, "s3:GetObject", "arn:aws:s3:::m/a", **{"s3:prefix": "other/"}) is Effect.IMPLICIT_DENY


def test_condition_values_are_ored_and_keys_anded() -> None:
    condition = {
        "StringEquals": {"ecs:CreateAction": ["RegisterTaskDefinition", "RunTask"], "aws:RequestedRegion": "eu-west-1"}
    }
    statements = [allow("ecs:TagResource", "*", Condition=condition)]
    both = {"ecs:CreateAction": "RunTask", "aws:RequestedRegion": "eu-west-1"}
    assert decide(statements, "ecs:TagResource", "arn:x", **both) is Effect.ALLOW
    one = {"ecs:CreateAction": "RunTask", "aws:RequestedRegion": "us-east-1"}
    assert decide(statements, "ecs:TagResource", "arn:x", **one) is Effect.IMPLICIT_DENY


def test_arn_conditions_compare_part_by_part() -> None:
    condition = {"ArnEquals": {"ecs:cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/demo"}}
    statements = [allow("ecs:RunTask", "*", Condition=condition)]
    same = {"ecs:cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/demo"}
    other = {"ecs:cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/demo-2"}
    assert decide(statements, "ecs:RunTask", "arn:td", **same) is Effect.ALLOW
    assert decide(statements, "ecs:RunTask", "arn:td", **other) is Effect.IMPLICIT_DENY
    like = [allow("ecs:RunTask", "*", Condition={"ArnLike": {"ecs:cluster": "arn:aws:ecs:*:123456789012:cluster/*"}})]
    assert decide(like, "ecs:RunTask", "arn:td", **other) is Effect.ALLOW
    # A wildcard stays inside its part: the region's * cannot swallow "eu-west-1:999", as a glob over the
    # whole string would.
    shifted = {"ecs:cluster": "arn:aws:ecs:eu-west-1:999:123456789012:cluster/x"}
    assert decide(like, "ecs:RunTask", "arn:td", **shifted) is Effect.IMPLICIT_DENY


def test_a_resource_policy_deny_applies_to_the_role() -> None:
    """The media bucket's TLS-only statement: refused over plain HTTP, not over TLS."""
    bucket_policy = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::media", "arn:aws:s3:::media/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    identity = {"Statement": [allow("s3:GetObject", "arn:aws:s3:::media/*")]}
    plain = AuthorizationRequest("s3:GetObject", "arn:aws:s3:::media/a", {"aws:SecureTransport": "false"})
    tls = AuthorizationRequest("s3:GetObject", "arn:aws:s3:::media/a", {"aws:SecureTransport": "true"})
    assert evaluate(plain, [identity], principal_arn=ROLE, resource_policies=[bucket_policy]).effect is (
        Effect.EXPLICIT_DENY
    )
    assert evaluate(tls, [identity], principal_arn=ROLE, resource_policies=[bucket_policy]).allowed


@pytest.mark.parametrize(
    "statement",
    [
        allow("s3:GetObject", "arn:aws:s3:::media/${aws:username}/*"),
        allow("s3:GetObject", "*", Condition={"NumericLessThan": {"s3:max-keys": "10"}}),
        allow("s3:GetObject", "*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}),
    ],
)
def test_what_the_evaluator_does_not_implement_fails_loudly(statement: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicy):
        decide([statement], "s3:GetObject", "arn:aws:s3:::media/a", **{"s3:max-keys": "5", "aws:TagKeys": "a"})
