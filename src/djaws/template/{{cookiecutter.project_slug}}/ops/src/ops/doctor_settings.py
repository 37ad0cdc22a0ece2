"""``ops doctor``'s checks of the backend's env file and the variables in it.

backend/config/env.py loads one file, ``$ENV_FILE`` or ``.env`` at the project root; variables set
in the environment win over it. An env file anywhere else is never read, and the backend then runs
on defaults without a word: these checks say so, and check the values settings.py would stop on
(or, worse, accept) outside local development.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ops.doctor import Finding, ok, problem, warning
from ops.project import Project

GROUP = "settings"
# What settings.py requires outside local (it stops at start-up on the first one missing); the
# database may also be given as its parts, DB_HOST and friends.
REQUIRED_OUTSIDE_LOCAL = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME")
# Directories where an env file is a common mistake: it looks loaded, and is not.
MISPLACED_DIRECTORIES = ("backend", "backend/config", "ops", "infra", "deploy", "frontend")
# Django's own rule for a secret key (security.W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 5
# How to make a new one (a command, not a key).
NEW_SECRET_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"  # noqa: S105
HOST = re.compile(r"^\.?(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", re.I)
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
TRUE_WORDS = {"1", "true", "yes", "on"}
KEY_VALUE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


@dataclass(frozen=True)
class EnvFile:
    """The env file the backend loads, its parsed values and the lines it would stop on."""

    path: Path
    shown: str
    values: dict[str, str]
    bad_lines: list[int]


def read_env_file(path: Path, shown: str) -> EnvFile:
    """KEY=VALUE lines as env.py reads them (``export`` allowed, one pair of quotes stripped)."""
    values, bad_lines = {}, []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = KEY_VALUE.match(line)
        if not match:
            bad_lines.append(number)
            continue
        value = match[2].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values.setdefault(match[1], value)
    return EnvFile(path, shown, values, bad_lines)


def known_variables(root: Path) -> set[str]:
    """Every variable .env.example documents: the names settings.py reads."""
    example = root / ".env.example"
    if not example.is_file():
        return set()
    return set(read_env_file(example, ".env.example").values)


def loaded_env_file(root: Path) -> tuple[Path, str]:
    """The file env.py loads and how to name it in a message."""
    override = os.environ.get("ENV_FILE", "").strip()
    if override:
        return Path(override), f"ENV_FILE={override}"
    return root / ".env", ".env"


def check_env_file_place(root: Path) -> tuple[list[Finding], EnvFile | None]:
    """The loaded file exists where env.py looks (or is rightly absent); none sits where nothing reads it."""
    findings: list[Finding] = []
    path, shown = loaded_env_file(root)
    if shown.startswith("ENV_FILE") and not path.is_absolute():
        findings.append(
            problem(
                GROUP,
                f"{shown} is a relative path: make runs Django in backend/, where it names backend/{path}",
                f"give ENV_FILE an absolute path ({(root / path).resolve()})",
            )
        )
    elif shown.startswith("ENV_FILE") and not path.is_file():
        findings.append(
            problem(
                GROUP, f"{shown} names no file: the backend then loads no env file", "point ENV_FILE at it or unset it"
            )
        )
    known = known_variables(root)
    for directory in MISPLACED_DIRECTORIES:
        stray = root / directory / ".env"
        if not stray.is_file() or stray.resolve() == path.resolve():
            continue
        names = set(read_env_file(stray, str(stray)).values)
        if directory == "frontend" and not names & known:
            continue  # the frontend's own variables (NEXT_PUBLIC_*): Next.js reads this file
        target = shown if path.is_file() else ".env"
        fix = f"move its settings into {target}" if path.is_file() else f"mv {directory}/.env .env"
        findings.append(
            problem(GROUP, f"{directory}/.env is never loaded (the backend reads {target} at the project root)", fix)
        )
    if not path.is_file():
        if not findings and not shown.startswith("ENV_FILE"):
            findings.append(ok(GROUP, "no .env: the backend runs locally on its embedded defaults"))
        return findings, None
    env_file = read_env_file(path, shown)
    findings += check_permissions(env_file)
    findings += [
        problem(
            GROUP, f"{shown} line {number} is not KEY=VALUE: the backend stops on it", f"fix or remove line {number}"
        )
        for number in env_file.bad_lines
    ]
    if not findings:
        findings.append(ok(GROUP, f"{shown} is where the backend loads it"))
    return findings, env_file


def check_permissions(env_file: EnvFile) -> list[Finding]:
    """Secrets in a file every user of the machine can read or change."""
    mode = stat.S_IMODE(env_file.path.stat().st_mode)
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        return [
            problem(
                GROUP,
                f"{env_file.shown} is readable by every user of this machine (mode {mode:o})",
                f"chmod 600 {env_file.shown if env_file.shown == '.env' else env_file.path}",
            )
        ]
    return [ok(GROUP, f"{env_file.shown} is private (mode {mode:o})")]


def effective_values(env_file: EnvFile | None, known: set[str]) -> dict[str, tuple[str, str]]:
    """Name -> (value, where it comes from), as settings.py sees them: set variables win, empty is unset."""
    values = {name: (value.strip(), env_file.shown) for name, value in (env_file.values if env_file else {}).items()}
    for name in set(values) | known:
        if os.environ.get(name, "").strip():
            values[name] = (os.environ[name].strip(), "the environment")
    return {name: entry for name, entry in values.items() if entry[0]}


def check_variables(root: Path, env_file: EnvFile | None) -> list[Finding]:
    """The values settings.py would stop on, or accept and misbehave with."""
    known = known_variables(root) | {"ENVIRONMENT", "ENV_FILE"}
    values = effective_values(env_file, known)
    environment = values.get("ENVIRONMENT", ("local", ""))[0].lower()
    environments = ("local", *Project(root).environments)
    if environment not in environments:
        where = values["ENVIRONMENT"][1]
        return [
            problem(
                GROUP,
                f"ENVIRONMENT={environment} in {where} is not a valid name",
                f"use one of {', '.join(environments)}",
            )
        ]
    findings: list[Finding] = []
    if environment != "local":
        findings += check_required(values, environment)
        findings += check_secret_key(values)
        if values.get("DEBUG", ("", ""))[0].lower() in TRUE_WORDS:
            findings.append(
                problem(
                    GROUP, f"DEBUG is on with ENVIRONMENT={environment} (in {values['DEBUG'][1]})", "set DEBUG=false"
                )
            )
    findings += check_hosts(values, environment)
    findings += check_urls(values)
    if env_file is not None:
        unknown = sorted(set(env_file.values) - known)
        if unknown:
            findings.append(
                warning(
                    GROUP,
                    f"{env_file.shown} sets {', '.join(unknown)}, which the backend does not read",
                    "check the spelling against .env.example",
                )
            )
    if not any(finding.status == "problem" for finding in findings):
        findings.append(ok(GROUP, f"variables for ENVIRONMENT={environment} are present and well formed"))
    return findings


def check_required(values: dict[str, tuple[str, str]], environment: str) -> list[Finding]:
    # The database is given either as DATABASE_URL or as its parts (DB_HOST and friends).
    database_given = "DATABASE_URL" in values or "DB_HOST" in values
    missing = [
        name
        for name in REQUIRED_OUTSIDE_LOCAL
        if name not in values and not (name == "DATABASE_URL" and database_given)
    ]
    return [
        problem(
            GROUP,
            f"{name} is missing (required with ENVIRONMENT={environment}: the backend stops at start-up)",
            f"set {name} in .env (see .env.example)",
        )
        for name in missing
    ]


def check_secret_key(values: dict[str, tuple[str, str]]) -> list[Finding]:
    if "SECRET_KEY" not in values:
        return []
    key, where = values["SECRET_KEY"]
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_DISTINCT
        or key.startswith("django-insecure-")
    ):
        return [
            problem(
                GROUP,
                f"SECRET_KEY in {where} is weak ({len(key)} characters, {len(set(key))} distinct; "
                f"needs {SECRET_KEY_MIN_LENGTH}+ random ones)",
                f"set a new one: {NEW_SECRET_KEY}",
            )
        ]
    return []


def valid_host(host: str) -> bool:
    """A host name, a leading-dot domain (subdomains too), or an IP address ([v6] bracketed)."""
    if HOST.match(host):
        return True
    try:
        ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
    except ValueError:
        return False
    return True


def check_hosts(values: dict[str, tuple[str, str]], environment: str) -> list[Finding]:
    findings = []
    if "ALLOWED_HOSTS" in values:
        hosts, where = values["ALLOWED_HOSTS"]
        for host in (item.strip() for item in hosts.split(",") if item.strip()):
            if host == "*" and environment != "local":
                findings.append(
                    problem(GROUP, f"ALLOWED_HOSTS in {where} allows any host (*)", "list the site's host names")
                )
            elif host != "*" and not valid_host(host):
                bare = urlsplit(host if "//" in host else f"//{host}").hostname or host
                findings.append(
                    problem(
                        GROUP,
                        f"ALLOWED_HOSTS entry {host!r} in {where} is not a host name",
                        f"write {bare} (no scheme, port or path)",
                    )
                )
    if "CSRF_TRUSTED_ORIGINS" in values:
        origins, where = values["CSRF_TRUSTED_ORIGINS"]
        for origin in (item.strip() for item in origins.split(",") if item.strip()):
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
                host = urlsplit(origin if "//" in origin else f"//{origin}").hostname or origin
                findings.append(
                    problem(
                        GROUP,
                        f"CSRF_TRUSTED_ORIGINS entry {origin!r} in {where} is not an origin",
                        f"write https://{host} (scheme and host, no path)",
                    )
                )
    return findings


def check_urls(values: dict[str, tuple[str, str]]) -> list[Finding]:
    findings = []
    # Variable -> the schemes it may use; the first is the one a fix suggests.
    schemes = {
        "SITE_URL": ("https", "http"),
        "DATABASE_URL": ("postgres", "postgresql"),
        "REDIS_URL": ("redis", "rediss"),
    }
    for name, allowed in schemes.items():
        if name not in values:
            continue
        value, where = values[name]
        parts = urlsplit(value)
        if parts.scheme not in allowed or not parts.hostname:
            findings.append(
                problem(
                    GROUP,
                    f"{name} in {where} is not a {' or '.join(allowed)} URL",
                    f"write it as {allowed[0]}://host/... (see .env.example)",
                )
            )
    if "AWS_REGION" in values and not REGION.match(values["AWS_REGION"][0]):
        value, where = values["AWS_REGION"]
        findings.append(
            problem(GROUP, f"AWS_REGION={value} in {where} is not a region name", "write it like ap-northeast-2")
        )
    return findings
