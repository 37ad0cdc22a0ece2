"""GitHub through the ``gh`` CLI: the repository, its environments and its Actions variables.

``gh`` carries the user's login (``gh auth login``), so ops holds no GitHub token. Every call that
would change something goes through ``Commands.change``, which only prints it under ``--dry-run``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.errors import OpsError


@dataclass
class Commands:
    """Runs external commands in one directory; changes are only printed in a dry run."""

    cwd: Path
    dry_run: bool = False

    def read(
        self, command: Sequence[str], *, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command that changes nothing (also in a dry run) and capture its output."""
        result = _run(command, cwd or self.cwd, capture=True)
        if check and result.returncode != 0:
            raise OpsError(f"{shlex.join(command[:3])} failed: {_last_line(result)}")
        return result

    def change(self, what: str, command: Sequence[str], *, stdin: str | None = None, cwd: Path | None = None) -> bool:
        """Run a command that changes something, saying what it does; in a dry run only say it."""
        if self.dry_run:
            print(f"would {what}: {shlex.join(command)}")
            return False
        print(f"{what}")
        result = _run(command, cwd or self.cwd, capture=stdin is not None, stdin=stdin)
        if result.returncode != 0:
            raise OpsError(f"could not {what}: {shlex.join(command[:3])} failed: {_last_line(result)}")
        return True


def _run(
    command: Sequence[str], cwd: Path, *, capture: bool, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(command), cwd=cwd, input=stdin, capture_output=capture, text=True, check=False, timeout=1800
        )
    except FileNotFoundError as error:
        raise OpsError(f"{command[0]} not found") from error


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in f"{result.stdout or ''}\n{result.stderr or ''}".splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {result.returncode}"


@dataclass
class GitHub:
    """One repository (``owner/name``) on GitHub."""

    commands: Commands
    repository: str

    def api(self, path: str) -> Any:
        """GET one REST path as JSON."""
        return json.loads(self.commands.read(["gh", "api", path]).stdout or "null")

    def environments(self) -> set[str]:
        """The repository's GitHub environments."""
        return {entry["name"] for entry in self.api(f"repos/{self.repository}/environments").get("environments", [])}

    def create_environment(self, name: str, reviewer_ids: Sequence[int] = ()) -> None:
        """Create an environment; with reviewers, every job in it waits for one of them to approve."""
        body = {"reviewers": [{"type": "User", "id": reviewer} for reviewer in reviewer_ids]} if reviewer_ids else {}
        what = f"create GitHub environment {name}" + (" (required reviewers: you)" if reviewer_ids else "")
        command = ["gh", "api", "--method", "PUT", f"repos/{self.repository}/environments/{name}", "--input", "-"]
        self.commands.change(what, command, stdin=json.dumps(body))

    def variables(self) -> dict[str, str]:
        """The repository's Actions variables."""
        listed = self.commands.read(["gh", "variable", "list", "--repo", self.repository, "--json", "name,value"])
        return {entry["name"]: entry["value"] for entry in json.loads(listed.stdout or "[]")}

    def set_variable(self, name: str, value: str) -> None:
        """Create or overwrite one Actions variable."""
        command = ["gh", "variable", "set", name, "--repo", self.repository, "--body", value]
        self.commands.change(f"set GitHub variable {name}", command)


def current_user(commands: Commands) -> dict[str, Any]:
    """The logged-in gh user (``login`` and numeric ``id``)."""
    return dict(json.loads(commands.read(["gh", "api", "user"]).stdout))


def repository_view(commands: Commands, repository: str | None = None) -> dict[str, str] | None:
    """``nameWithOwner`` and ``url`` of a repository (default: the one ``origin`` points at); None if absent."""
    command = ["gh", "repo", "view", *([repository] if repository else []), "--json", "nameWithOwner,url"]
    result = commands.read(command, check=False)
    return dict(json.loads(result.stdout)) if result.returncode == 0 and result.stdout.strip() else None
