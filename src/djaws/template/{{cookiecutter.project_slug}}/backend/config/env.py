"""Reading settings from the environment, with one-line errors for what is missing or malformed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def stop(message: str) -> None:
    """Stop start-up with one line on stderr: a traceback would bury what is wrong."""
    sys.stderr.write(f"configuration error: {message}\n")
    raise SystemExit(2)


def load_dotenv(path: Path) -> None:
    """Load KEY=VALUE lines from a .env file without overriding variables already set.

    Loading it here, rather than relying on each tool to, means runserver, gunicorn, celery and the
    tests all see the same configuration (the seed lost hours to an env file nothing read).
    """
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, value = line.removeprefix("export ").partition("=")
        if not separator or not name.strip().isidentifier():
            stop(f"{path}:{number} is not a KEY=VALUE line")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(name.strip(), value)


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
