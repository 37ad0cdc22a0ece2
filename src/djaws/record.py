"""The record every generated project keeps of how it was made: ``.djaws-answers.json``.

It holds the answers plus the djaws version and template revision that rendered them, so ``djaws update``
can render that exact template again as the merge base. The layout follows Copier's answers file: the
answers at the top level (``ops init`` reads them there) and djaws' own keys marked by a leading underscore.
Projects made before djaws 0.2.0 have answers only; ``djaws update --from VERSION`` names their version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

RECORD_FILE = ".djaws-answers.json"
VERSION_KEY = "_djaws_version"
REVISION_KEY = "_template_revision"


class RecordError(ValueError):
    """The project has no readable record of how it was made."""


@dataclass(frozen=True)
class Record:
    """What a project was generated with; version and revision are None in records older than djaws 0.2.0."""

    version: str | None
    revision: str | None
    answers: dict[str, str]


def read_record(project: Path) -> Record:
    """Read the record in a project's root directory."""
    path = project / RECORD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordError(f"no {RECORD_FILE} in {project}: run this in the root of a project djaws generated") from None
    except (OSError, ValueError) as error:
        raise RecordError(f"cannot read {path}: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("project_name"), str):
        raise RecordError(f"{path} holds no project_name answer")
    answers = {key: str(value) for key, value in data.items() if not key.startswith("_")}
    return Record(version=data.get(VERSION_KEY) or None, revision=data.get(REVISION_KEY) or None, answers=answers)


def template_revision(template_dir: Path) -> str:
    """A digest of the template's files and of the naming module it loads by path.

    Equal revisions and answers render equal projects, whatever the version string says (a checkout
    between releases keeps the last version number), so update can tell a faithful merge base from a
    mismatched one. Bytecode caches that appear next to the template's Python files are left out.
    """
    digest = hashlib.sha256()
    files = [path for path in sorted(template_dir.rglob("*")) if path.is_file() and "__pycache__" not in path.parts]
    for path in [*files, template_dir.parent / "naming.py"]:
        relative = path.relative_to(template_dir.parent).as_posix()
        executable = "x" if path.stat().st_mode & 0o100 else "-"
        digest.update(f"{relative}\0{executable}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return f"sha256:{digest.hexdigest()[:16]}"
