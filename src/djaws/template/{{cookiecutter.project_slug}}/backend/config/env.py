"""Reading settings from the environment, with one-line errors for what is missing or malformed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The project root (the directory holding backend/ and .env.example).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def stop(message: str) -> None:
    """Stop start-up with one line on stderr: a traceback would bury what is wrong."""
    sys.stderr.write(f"configuration error: {message}\n")
    raise SystemExit(2)


def _value(name: str) -> str | None:
    """The variable's value, stripped; empty counts as unset, as in a copied .env.example."""
    value = os.environ.get(name, "").strip()
    return value or None


def load_dotenv() -> None:
    """Load KEY=VALUE lines from ENV_FILE (default: .env at the project root); set variables win.

    Loading it here, rather than relying on each tool to, means runserver, uvicorn, granian, Celery
    and the tests all see the same configuration (an env file that one tool reads and another ignores is hard to spot).
    """
    path = Path(os.environ.get("ENV_FILE") or PROJECT_ROOT / ".env")
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not separator or not name.isidentifier():
            stop(f"{path}:{number} is not a KEY=VALUE line")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(name, value)


def text(name: str, default: str = "") -> str:
    """A string variable, or the default when it is unset or empty."""
    return _value(name) or default


def required(name: str, environment: str) -> str:
    """A variable that must be set (and non-empty) outside local development."""
    value = _value(name)
    if value is None:
        stop(f"missing required environment variable {name} (ENVIRONMENT={environment}); see .env.example")
    return value or ""


def boolean(name: str, default: bool) -> bool:
    """true/false, yes/no, on/off or 1/0."""
    raw = _value(name)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    stop(f"{name}={raw!r} is not a boolean (use true or false)")
    return default


def integer(name: str, default: int) -> int:
    """A whole number."""
    raw = _value(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        stop(f"{name}={raw!r} is not a whole number")
        return default


def listing(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    raw = _value(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def rate(name: str, default: str) -> str:
    """A request rate such as 20/minute (a count, then second, minute, hour or day)."""
    value = text(name, default)
    count, _, period = value.partition("/")
    if not (count.isdigit() and int(count) > 0 and period in ("second", "minute", "hour", "day")):
        stop(f"{name}={value!r} is not a rate such as 20/minute (per second, minute, hour or day)")
    return value
