"""An IAM policy evaluator written from AWS's "Policy evaluation logic" documentation, not from moto or the product.

The IAM tests decide each AWS call the application makes with it (``support/iam_enforcement.py``): one
authorization request (action, resource ARN, request context) against the identity policies of the
caller's role and, for S3, the bucket's policy. The rules implemented, as the IAM User Guide states them
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and the
``Condition`` operator reference):

- An explicit ``Deny`` in any applicable statement wins; otherwise an ``Allow`` in an identity policy or
  in a same-account resource policy naming the principal allows; otherwise the request is implicitly denied.
- ``Action``/``NotAction`` match case-insensitively, ``Resource``/``NotResource`` case-sensitively; ``*``
  matches any run of characters and ``?`` one character.
- A statement applies only if every operator in its ``Condition`` holds, every key of an operator holds,
  and a key holds if any of its values matches. A key absent from the request context makes a positive
  operator false, a negated one (``StringNotEquals`` ...) true, an ``...IfExists`` one true.
- ``ArnEquals``/``ArnLike`` compare the six colon-separated ARN parts one by one.

Anything outside that (policy variables, ``ForAnyValue``/``ForAllValues``, numeric and date operators,
principals other than ``*`` and role ARNs in resource policies) raises :class:`UnsupportedPolicy`, so
a policy that uses it fails the tests loudly instead of being half-evaluated.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any


class UnsupportedPolicy(ValueError):
    """The policy uses something this evaluator does not implement."""


class Effect(Enum):
    """The outcome of evaluating one request."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class AuthorizationRequest:
    """One permission check AWS makes for an API call: who, which action, on what, in which context."""

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The effect and the statements (by Sid, or index) that decided it."""

    request: AuthorizationRequest
    effect: Effect
    statements: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW


@cache
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise UnsupportedPolicy(f"policy variables are not evaluated: {pattern!r}")
    # fnmatch's translation handles * and ?; brackets have no meaning in IAM, so escape them first.
    translated = fnmatch.translate(pattern.replace("[", "\0").replace("]", "\1"))
    translated = translated.replace("\0", r"\[").replace("\1", r"\]")
    return re.compile(translated, 0 if case_sensitive else re.IGNORECASE)


def glob_matches(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM wildcard matching: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one character."""
    return _glob(pattern, case_sensitive).fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _arn_matches(pattern: str, value: str, *, like: bool) -> bool:
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    if like:
        return all(glob_matches(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))
    return pattern_parts == value_parts


_POSITIVE = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": lambda expected, actual: glob_matches(expected, actual),
    "ArnEquals": lambda expected, actual: _arn_matches(expected, actual, like=False),
    "ArnLike": lambda expected, actual: _arn_matches(expected, actual, like=True),
    "Bool": lambda expected, actual: str(expected).lower() == str(actual).lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _context_value(context: Mapping[str, str | Sequence[str]], key: str) -> list[str] | None:
    # Condition keys are case-insensitive; the tag name inside aws:ResourceTag/... is kept as is by AWS,
    # which is how the product's policies spell it.
    for candidate, value in context.items():
        if candidate.lower() == key.lower():
            return [str(item) for item in _as_list(value)]
    return None


def _operator_holds(operator: str, conditions: Mapping[str, Any], context: Mapping[str, str | Sequence[str]]) -> bool:
    if operator.startswith(("ForAnyValue:", "ForAllValues:")):
        raise UnsupportedPolicy(f"set operators are not evaluated: {operator}")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    for key, expected_values in conditions.items():
        actual = _context_value(context, key)
        expected = [str(value) for value in _as_list(expected_values)]
        if base == "Null":
            # Null: "true" means the key must be absent, "false" that it must be present.
            if not any((actual is None) == (value.lower() == "true") for value in expected):
                return False
            continue
        if actual is None:
            if if_exists or base in _NEGATED:
                continue
            return False
        if base in _POSITIVE:
            compare = _POSITIVE[base]
            if not any(compare(value, item) for value in expected for item in actual):
                return False
        elif base in _NEGATED:
            compare = _POSITIVE[_NEGATED[base]]
            if any(compare(value, item) for value in expected for item in actual):
                return False
        else:
            raise UnsupportedPolicy(f"condition operator {operator} is not evaluated")
    return True


def _principal_matches(principal: Any, principal_arn: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping) and set(principal) == {"AWS"}:
        named = _as_list(principal["AWS"])
        if "*" in named:
            return True
        if all(name.startswith("arn:") and ":role/" in name for name in named):
            return principal_arn in named
    raise UnsupportedPolicy(f"resource-policy principal {principal!r} is not evaluated")


def _statement_applies(statement: Mapping[str, Any], request: AuthorizationRequest, principal_arn: str | None) -> bool:
    if principal_arn is not None and not _principal_matches(statement.get("Principal"), principal_arn):
        return False
    if "Action" in statement:
        if not any(glob_matches(p, request.action, case_sensitive=False) for p in _as_list(statement["Action"])):
            return False
    elif any(glob_matches(p, request.action, case_sensitive=False) for p in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(glob_matches(p, request.resource) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(glob_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return False
    else:
        raise UnsupportedPolicy("a statement without Resource or NotResource")
    conditions = statement.get("Condition", {})
    return all(_operator_holds(operator, keys, request.context) for operator, keys in conditions.items())


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _as_list(policy["Statement"])


def evaluate(
    request: AuthorizationRequest,
    identity_policies: Sequence[Mapping[str, Any]],
    *,
    principal_arn: str,
    resource_policies: Sequence[Mapping[str, Any]] = (),
) -> Decision:
    """Decide one request for a principal of the resource's own account (no boundaries, SCPs or sessions)."""
    allowing: list[str] = []
    denying: list[str] = []
    sources = [(policy, None) for policy in identity_policies] + [
        (policy, principal_arn) for policy in resource_policies
    ]
    for policy, resource_principal in sources:
        for index, statement in enumerate(_statements(policy)):
            if _statement_applies(statement, request, resource_principal):
                label = str(statement.get("Sid") or f"#{index}")
                (denying if statement["Effect"] == "Deny" else allowing).append(label)
    if denying:
        return Decision(request, Effect.EXPLICIT_DENY, tuple(denying))
    if allowing:
        return Decision(request, Effect.ALLOW, tuple(allowing))
    return Decision(request, Effect.IMPLICIT_DENY)
