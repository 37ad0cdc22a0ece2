"""What ``ops doctor`` checks before anything runs, as small functions each returning findings.

Each check looks at one thing and says, for each problem it finds, what is wrong and the fix. The
groups run in order: the env file and its variables (doctor_settings.py), the Terraform settings
of each environment (doctor_infra.py), the tools on this machine (here), then AWS (doctor_infra.py).
A problem fails the run; a warning names a command that cannot run (an optional tool is missing)
and does not.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Literal

from ops.commands.init import TOOLS
from ops.outputs import terraform_binary

Status = Literal["ok", "warning", "problem"]
MARKS = {"ok": "✓", "warning": "!", "problem": "✗"}
MINIMUM_TERRAFORM = (1, 11)
VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Finding:
    """One thing a check looked at: fine, or wrong with how to fix it."""

    group: str
    status: Status
    text: str
    fix: str = ""

    def line(self) -> str:
        """The finding as one line: mark, what, and the fix after a dash."""
        return f"{MARKS[self.status]} {self.text}" + (f" — fix: {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def ok(group: str, text: str) -> Finding:
    return Finding(group, "ok", text)


def problem(group: str, text: str, fix: str) -> Finding:
    return Finding(group, "problem", text, fix)


def warning(group: str, text: str, fix: str) -> Finding:
    return Finding(group, "warning", text, fix)


# --- Tools -----------------------------------------------------------------------------------------

TOOLS_GROUP = "tools"


# Tools only some commands need: their absence is a warning naming those commands. terraform and
# uv are needed by every command (ops reads Terraform outputs; make runs ops through uv): problems.
@dataclass(frozen=True)
class OptionalTool:
    """A tool, the commands that cannot run without it, and how to ask it which version it is."""

    name: str
    needed_by: str
    version_command: tuple[str, ...]
    # The major version it must have (None: any), and what to say and do when it is unusable.
    major: int | None = None
    unusable: str = "does not run"
    unusable_fix: str = ""


OPTIONAL_TOOLS = (
    OptionalTool("git", "ops build and ops init", ("git", "--version")),
    OptionalTool("aws", "ops init and ops exec", ("aws", "--version"), major=2, unusable="is not AWS CLI v2"),
    OptionalTool(
        "docker",
        "ops build",
        ("docker", "buildx", "version"),
        unusable="has no buildx plugin",
        unusable_fix="install the buildx plugin, https://docs.docker.com/build/",
    ),
    OptionalTool("gh", "ops init", ("gh", "--version")),
    OptionalTool("session-manager-plugin", "ops exec", ("session-manager-plugin", "--version")),
)
INSTALL = {
    **TOOLS,
    "uv": "https://docs.astral.sh/uv/getting-started/installation/",
    "session-manager-plugin": "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "session-manager-working-with-install-plugin.html",
}


def tool_output(command: list[str]) -> tuple[int, str]:
    """Exit status and output of a short version query (127 when it cannot start).

    stdout, or stderr when stdout is empty: AWS CLI v1 prints its version on stderr.
    """
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return 127, str(error)
    return result.returncode, (result.stdout.strip() or result.stderr.strip())


def version_of(text: str) -> tuple[int, ...]:
    """The first x.y[.z] in a version line, as numbers (empty when there is none)."""
    match = VERSION.search(text)
    return tuple(int(part) for part in match.groups() if part is not None) if match else ()


def check_terraform() -> list[Finding]:
    binary = terraform_binary()
    if shutil.which(binary) is None:
        return [
            problem(
                TOOLS_GROUP,
                f"{binary} not found (every ops command reads Terraform)",
                f"install {INSTALL['terraform']}",
            )
        ]
    code, output = tool_output([binary, "version", "-json"])
    try:
        found = str(json.loads(output)["terraform_version"]) if code == 0 else ""
    except (ValueError, KeyError):
        found = ""
    if version_of(found)[:2] < MINIMUM_TERRAFORM:
        wanted = ".".join(map(str, MINIMUM_TERRAFORM))
        return [
            problem(
                TOOLS_GROUP,
                f"terraform {found or '(unknown version)'} is older than {wanted}",
                f"install {INSTALL['terraform']}",
            )
        ]
    return [ok(TOOLS_GROUP, f"terraform {found}")]


def check_uv() -> list[Finding]:
    if shutil.which("uv") is None:
        return [problem(TOOLS_GROUP, "uv not found (make runs ops through uv run)", f"install {INSTALL['uv']}")]
    return [ok(TOOLS_GROUP, tool_output(["uv", "--version"])[1])]


def check_optional_tools() -> list[Finding]:
    """Each optional tool: present and usable (with its version), or which commands cannot run without it."""
    findings = []
    for tool in OPTIONAL_TOOLS:
        if shutil.which(tool.name) is None:
            findings.append(
                warning(
                    TOOLS_GROUP, f"{tool.name} not found: needed by {tool.needed_by}", f"install {INSTALL[tool.name]}"
                )
            )
            continue
        code, output = tool_output(list(tool.version_command))
        if code != 0 or (tool.major is not None and version_of(output)[:1] != (tool.major,)):
            found = f" ({output.split()[0]})" if output and code == 0 else ""
            findings.append(
                warning(
                    TOOLS_GROUP,
                    f"{tool.name} {tool.unusable}{found}: needed by {tool.needed_by}",
                    tool.unusable_fix or f"install {INSTALL[tool.name]}",
                )
            )
            continue
        findings.append(ok(TOOLS_GROUP, output.splitlines()[0] if output else tool.name))
    return findings


def check_tools() -> list[Finding]:
    return [*check_terraform(), *check_uv(), *check_optional_tools()]
