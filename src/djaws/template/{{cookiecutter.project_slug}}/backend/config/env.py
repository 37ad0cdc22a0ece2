"""Reading settings from the environment, with one-line errors for what is missing or malformed."""

from __future__ import annotations

import os
import sys

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def stop(message: str) -> None:
    """Stop start-up with one line on stderr: a traceback would bury what is wrong."""
    sys.stderr.write(f"configuration error: {message}\n")
    raise SystemExit(2)


def text(name: str, default: str = "") -> str:
    """A string variable, or the default when it is unset."""
    return os.environ.get(name, default)


def required(name: str, environment: str) -> str:
    """A variable that must be set (and non-empty) outside local development."""
    value = os.environ.get(name, "").strip()
    if not value:
        stop(f"missing required environment variable {name} (ENVIRONMENT={environment}); see .env.example")
    return value


def boolean(name: str, default: bool) -> bool:
    """true/false, yes/no, on/off or 1/0."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    stop(f"{name}={raw!r} is not a boolean (use true or false)")
    return default


def integer(name: str, default: int) -> int:
    """A whole number."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        stop(f"{name}={raw!r} is not a whole number")
        return default


def listing(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
