"""The questions ``djaws new`` asks: keys, defaults, allowed values and checks.

The same keys appear in ``--set``, in the template's ``cookiecutter.json`` and in the generated
project's ``.djaws-answers.json``; a test keeps this module and ``cookiecutter.json`` in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from djaws.naming import NamingError, validate_project_name

AWS_REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
GITHUB_OWNER_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_PATTERN = re.compile(rf"^(?:{DOMAIN_LABEL}\.)+[a-z]{{2,63}}$")


class OptionError(ValueError):
    """An answer that the template cannot use."""


def _check_project_name(value: str) -> None:
    try:
        validate_project_name(value)
    except NamingError as error:
        raise OptionError(str(error)) from error


def _check_region(value: str) -> None:
    if not AWS_REGION_PATTERN.match(value):
        raise OptionError(f"aws_region {value!r} is not an AWS region code such as ap-northeast-2")


def _check_github_owner(value: str) -> None:
    if value and not GITHUB_OWNER_PATTERN.match(value):
        raise OptionError(f"github_owner {value!r} is not a GitHub user or organisation name")


def _check_email(value: str) -> None:
    if not EMAIL_PATTERN.match(value):
        raise OptionError(f"author_email {value!r} is not an e-mail address")


def _check_domain(value: str) -> None:
    if value and (len(value) > 253 or not DOMAIN_PATTERN.match(value)):
        raise OptionError(f"domain_name {value!r} is not a lowercase domain name such as shop.example.com")


def _check_one_line(value: str) -> None:
    if "\n" in value or "\r" in value or '"' in value or "\\" in value:
        raise OptionError("text answers must be one line without quotes or backslashes")


@dataclass(frozen=True)
class Option:
    """One question: its key, what it asks, its default and what values it accepts."""

    key: str
    help: str
    default: str
    choices: tuple[str, ...] = ()
    check: Callable[[str], None] | None = None

    def validate(self, value: str) -> str:
        """Return the value, normalised, or raise OptionError."""
        value = value.strip()
        if self.choices and value not in self.choices:
            raise OptionError(f"{self.key} must be one of {', '.join(self.choices)}, not {value!r}")
        _check_one_line(value)
        if self.check:
            self.check(value)
        return value


OPTIONS: tuple[Option, ...] = (
    Option(
        "project_name",
        "Human-readable project name; the directory and AWS names derive from it.",
        "My Project",
        check=_check_project_name,
    ),
    Option(
        "description",
        "One-line description for the README and package metadata.",
        "A Django and Next.js product on AWS.",
    ),
    Option("author_name", "Author or company name.", "Your Name"),
    Option("author_email", "Contact e-mail address.", "you@example.com", check=_check_email),
    Option("aws_region", "AWS region to deploy to.", "ap-northeast-2", check=_check_region),
    Option(
        "aws_deployment",
        "Deployment target: ECS Fargate behind an ALB, or one EC2 host running docker compose.",
        "ecs-fargate",
        choices=("ecs-fargate", "ec2-all-in-one"),
    ),
    Option("frontend", "Frontend: a Next.js app, or none (API only).", "nextjs", choices=("nextjs", "none")),
    Option("use_celery", "Celery worker and beat for background and periodic tasks.", "y", choices=("y", "n")),
    Option("use_websocket", "Channels websockets (/ws/notifications/).", "y", choices=("y", "n")),
    Option(
        "github_owner",
        "GitHub user or organisation that will host the repository (for OIDC deploys).",
        "",
        check=_check_github_owner,
    ),
    Option(
        "main_environment",
        "Environment the main branch deploys to: a client demo, or production (dev and stg have their own branches).",
        "demo",
        choices=("demo", "prod"),
    ),
    Option(
        "domain_name",
        "Domain name the site will be served on (optional; the ALB/host name is used otherwise).",
        "",
        check=_check_domain,
    ),
)

OPTIONS_BY_KEY: dict[str, Option] = {option.key: option for option in OPTIONS}


def defaults() -> dict[str, str]:
    """Every option at its default value."""
    return {option.key: option.default for option in OPTIONS}


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a ``--set KEY=VALUE`` argument, rejecting unknown keys."""
    key, separator, value = text.partition("=")
    key = key.strip()
    if not separator:
        raise OptionError(f"--set expects KEY=VALUE, got {text!r}")
    if key not in OPTIONS_BY_KEY:
        raise OptionError(f"unknown option {key!r}; known options: {', '.join(OPTIONS_BY_KEY)}")
    return key, value


def validate_answers(answers: dict[str, str]) -> dict[str, str]:
    """Validate every answer; unknown keys and bad values raise OptionError."""
    unknown = sorted(set(answers) - set(OPTIONS_BY_KEY))
    if unknown:
        raise OptionError(f"unknown option {unknown[0]!r}; known options: {', '.join(OPTIONS_BY_KEY)}")
    return {key: OPTIONS_BY_KEY[key].validate(value) for key, value in answers.items()}
