"""Three-way merge of two template renders into a project, file by file.

Base is the template as the project was generated, theirs the template as it is now, ours the project.
Which side changed decides each file (the rules git applies to whole trees); a file both sides changed
goes through ``git merge-file``, git's own line merge, so conflicts carry the markers every editor and
merge tool understands. Files only the project has are never looked at.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

BINARY_PROBE_BYTES = 8000  # how much git itself reads to decide that a file is binary


class MergeError(RuntimeError):
    """git could not merge a file (not a conflict: git is missing or failed)."""


class Outcome(StrEnum):
    """What the update does to one file; the order is the order of the report."""

    ADDED = "added"
    UPDATED = "updated"
    MERGED = "merged"
    RERENDERED = "re-rendered"
    REMOVED = "removed"
    KEPT = "kept"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class FileState:
    """A file's bytes and executable bit: the two things a template render decides."""

    content: bytes
    executable: bool


@dataclass(frozen=True)
class Change:
    """One file's outcome and, unless the project's file stays as it is, what to write (None: delete)."""

    path: str
    outcome: Outcome
    result: FileState | None
    writes: bool
    note: str = ""


@dataclass(frozen=True)
class Labels:
    """Names of the three sides in conflict markers."""

    ours: str
    base: str
    theirs: str


def read_state(path: Path) -> FileState | None:
    """The file at ``path``, or None when there is none."""
    if not path.is_file():
        return None
    return FileState(path.read_bytes(), bool(path.stat().st_mode & 0o100))


def relative_files(root: Path) -> set[str]:
    """Every file under a render, as POSIX paths relative to it."""
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def plan(base: Path, ours: Path, theirs: Path, is_derived: Callable[[str], bool], labels: Labels) -> list[Change]:
    """Decide every file the template touches between the base and the new render; changes nothing."""
    changes = []
    for path in sorted(relative_files(base) | relative_files(theirs)):
        if _obstructed(ours, path):
            changes.append(Change(path, Outcome.CONFLICT, None, False, "something in the project is in the way"))
            continue
        states = (read_state(base / path), read_state(ours / path), read_state(theirs / path))
        change = _decide(path, *states, derived=is_derived(path), labels=labels)
        if change is not None:
            changes.append(change)
    return changes


def _obstructed(project: Path, path: str) -> bool:
    """True when a directory sits where the file goes, or a file where one of its directories goes."""
    in_the_way = [project / parent for parent in Path(path).parents if (project / parent).exists()]
    return (project / path).is_dir() or any(not directory.is_dir() for directory in in_the_way)


def _decide(
    path: str,
    base: FileState | None,
    ours: FileState | None,
    theirs: FileState | None,
    *,
    derived: bool,
    labels: Labels,
) -> Change | None:
    """One file's outcome from which sides changed it; None when the project's file stays as it is."""
    if theirs == base or ours == theirs:
        return None
    if ours == base:
        if theirs is None:
            return Change(path, Outcome.REMOVED, None, True)
        return Change(path, Outcome.ADDED if base is None else Outcome.UPDATED, theirs, True)
    if derived:
        # Derived data (names, locks, tfvars, the record) follow from the answers and the template alone.
        note = "derived from the answers and the template: your edits are replaced"
        return Change(path, Outcome.RERENDERED if theirs else Outcome.REMOVED, theirs, True, note)
    if theirs is None:
        return Change(path, Outcome.KEPT, ours, False, "you changed it; the template no longer has it")
    if ours is None:
        note = "you deleted it and the template changed it: its new version is back"
        return Change(path, Outcome.CONFLICT, theirs, True, note)
    return _merge_contents(path, base, ours, theirs, labels)


def _merge_contents(path: str, base: FileState | None, ours: FileState, theirs: FileState, labels: Labels) -> Change:
    """Both sides changed the file: merge the lines with git, and the executable bit the same three-way way."""
    executable = theirs.executable if base is not None and ours.executable == base.executable else ours.executable
    base_content = base.content if base is not None else b""
    if base_content in (ours.content, theirs.content) or ours.content == theirs.content:
        content = theirs.content if ours.content == base_content else ours.content
        return Change(path, Outcome.MERGED, FileState(content, executable), True)
    if any(b"\0" in content[:BINARY_PROBE_BYTES] for content in (base_content, ours.content, theirs.content)):
        return Change(path, Outcome.CONFLICT, ours, False, "binary file changed on both sides: yours is kept")
    merged, conflicted = merge_text(base_content, ours.content, theirs.content, labels)
    if conflicted:
        return Change(path, Outcome.CONFLICT, FileState(merged, executable), True, "resolve the conflict markers")
    return Change(path, Outcome.MERGED, FileState(merged, executable), True)


def merge_text(base: bytes, ours: bytes, theirs: bytes, labels: Labels) -> tuple[bytes, bool]:
    """``git merge-file`` on three versions of a file: the merged bytes and whether conflicts remain."""
    with tempfile.TemporaryDirectory(prefix="djaws-merge-") as scratch:
        sides = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            side = Path(scratch) / name
            side.write_bytes(content)
            sides.append(str(side))
        command = ["git", "merge-file", "--stdout", "-L", labels.ours, "-L", labels.base, "-L", labels.theirs, *sides]
        try:
            result = subprocess.run(command, capture_output=True, check=False)
        except FileNotFoundError:
            raise MergeError("merging needs git on the PATH") from None
    if not 0 <= result.returncode <= 127:
        raise MergeError(f"git merge-file failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout, result.returncode > 0


def apply(project: Path, changes: list[Change]) -> None:
    """Write the planned changes into the project, removing directories that deletions leave empty."""
    for change in changes:
        if not change.writes:
            continue
        target = project / change.path
        if change.result is None:
            target.unlink(missing_ok=True)
            _remove_empty_parents(project, target.parent)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(change.result.content)
        mode = target.stat().st_mode
        # Executable for whoever may read it, as git checks files out.
        target.chmod(mode | (mode & 0o444) >> 2 if change.result.executable else mode & ~0o111)


def _remove_empty_parents(project: Path, directory: Path) -> None:
    """Remove now-empty directories up to the project root (a removed option's whole folder goes)."""
    while directory != project and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
