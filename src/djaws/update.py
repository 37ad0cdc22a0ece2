"""``djaws update``: bring a project to another template version or other answers, keeping the team's edits.

The template is rendered twice with the recorded answers, as it was at the recorded version (the merge base)
and as it is at the target version with any new answers; the difference between the two is applied to the
project as a three-way merge (``djaws.merge``). The record (``.djaws-answers.json``) is derived from the new
render, so it names the new version and answers afterwards. Only a committed project is touched: ``git diff``
is the review, and ``git checkout .`` the undo.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from djaws import __version__
from djaws.merge import Change, Labels, Outcome, apply, plan
from djaws.options import OPTIONS_BY_KEY, parse_assignment
from djaws.record import RECORD_FILE, REVISION_KEY, Record, read_record
from djaws.versions import render_version, renders_in_process

# Files holding data derived from the answers and the template: when both sides changed one, the new render
# wins instead of a line merge (a merged lock or name map is no lock or name map).
DERIVED_FILES = (
    RECORD_FILE,
    "infra/names.json",
    "backend/uv.lock",
    "ops/uv.lock",
    "infra/terraform/*/project.auto.tfvars",
    "backend/config/project.toml",
    "frontend/project.config.json",
)


class UpdateError(RuntimeError):
    """The update cannot start; nothing was changed."""


@dataclass(frozen=True)
class UpdateRequest:
    """What the user asked for on the command line."""

    project: Path
    source: str
    to_version: str = __version__
    from_version: str | None = None
    assignments: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass(frozen=True)
class UpdateReport:
    """What the update did (or, on a dry run, would do), file by file."""

    from_version: str
    to_version: str
    changed_answers: dict[str, tuple[str, str]]
    changes: list[Change]
    warnings: list[str]

    @property
    def conflicts(self) -> list[Change]:
        """The files that need a person: conflict markers, or a decision git could not make."""
        return [change for change in self.changes if change.outcome is Outcome.CONFLICT]


def is_derived(path: str) -> bool:
    """True for files re-rendered rather than merged."""
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in DERIVED_FILES)


def update(request: UpdateRequest) -> UpdateReport:
    """Run an update (or plan it, on a dry run); raises UpdateError before changing anything."""
    record = read_record(request.project)
    answers = _new_answers(record.answers, request.assignments)
    from_version = request.from_version or record.version
    if from_version is None:
        raise UpdateError(
            f"{RECORD_FILE} names no djaws version (the project predates djaws 0.2.0): "
            "give the version that generated it with --from VERSION, e.g. --from 0.1.0"
        )
    ensure_committed(request.project)
    changed = {
        key: (record.answers.get(key, ""), value) for key, value in answers.items() if value != record.answers.get(key)
    }
    report = UpdateReport(from_version, request.to_version, changed, [], [])
    if _renders_alike(from_version, request.to_version, record) and not changed:
        return report
    with tempfile.TemporaryDirectory(prefix="djaws-update-") as scratch:
        base = render_version(from_version, record.answers, Path(scratch) / "base", request.source, record.revision)
        theirs = render_version(request.to_version, answers, Path(scratch) / "theirs", request.source, None)
        labels = Labels("yours", f"djaws {from_version} (as generated)", f"djaws {request.to_version}")
        changes = plan(base, request.project, theirs, is_derived, labels)
        if not request.dry_run:
            apply(request.project, changes)
        warnings = _revision_warnings(record, base, from_version)
    return UpdateReport(from_version, request.to_version, changed, changes, warnings)


def _new_answers(recorded: dict[str, str], assignments: list[str]) -> dict[str, str]:
    """The recorded answers with the ``--set`` ones applied; the project name is not an answer one can change."""
    answers = dict(recorded)
    for assignment in assignments:
        key, value = parse_assignment(assignment)
        answers[key] = OPTIONS_BY_KEY[key].validate(value)
    if answers["project_name"] != recorded["project_name"]:
        raise UpdateError(
            "project_name cannot change: every AWS name derives from it, so a new name is a new project (djaws new)"
        )
    return answers


def _renders_alike(from_version: str, to_version: str, record: Record) -> bool:
    """True when both renders would be the same template: the update has nothing to bring."""
    if from_version != to_version:
        return False
    return to_version != __version__ or renders_in_process(from_version, record.revision)


def ensure_committed(project: Path) -> None:
    """Refuse a project outside git or with uncommitted changes: the update must be reviewable and undoable."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--", "."], cwd=project, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UpdateError("djaws update needs git on the PATH") from None
    if result.returncode != 0:
        raise UpdateError(f"{project} is not in a git repository: commit the project first, then update")
    dirty = result.stdout.splitlines()
    if dirty:
        raise UpdateError(f"the git working tree has {len(dirty)} uncommitted change(s): commit or stash them first")


def _revision_warnings(record: Record, base: Path, from_version: str) -> list[str]:
    """Say so when the rendered merge base is not the template that generated the project."""
    rendered = json.loads((base / RECORD_FILE).read_text(encoding="utf-8")).get(REVISION_KEY)
    if record.revision is None or rendered is None or rendered == record.revision:
        return []
    return [
        f"djaws {from_version} renders template revision {rendered}, but the project was generated from "
        f"{record.revision} (a build between releases?): review the merged files closely"
    ]
