"""Render the project template into a directory, all or nothing.

The template is rendered into a staging directory beside the target first; only a complete render
is moved into place. ``--force`` writes the template's files over an existing directory and never
deletes anything the template does not produce.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from djaws import __version__
from djaws.naming import derive_names
from djaws.record import REVISION_KEY, VERSION_KEY, template_revision

TEMPLATE_DIR = Path(__file__).parent / "template"


class GenerationError(RuntimeError):
    """The project could not be generated; nothing was left behind."""


@dataclass(frozen=True)
class GeneratedProject:
    """Where the project went and what it holds."""

    path: Path
    files: tuple[Path, ...]


def _prepare_output_dir(output_dir: Path) -> list[Path]:
    """Create the output directory if needed; return the directories created, for clean-up on failure."""
    created: list[Path] = []
    missing = output_dir
    while not missing.exists():
        created.append(missing)
        missing = missing.parent
    if not missing.is_dir():
        raise GenerationError(f"output path {missing} is not a directory")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise GenerationError(f"cannot create output directory {output_dir}: {error.strerror}") from error
    return created


def current_template_revision() -> str:
    """The revision of the template this djaws carries (read afresh: a checkout's template changes under it)."""
    return template_revision(TEMPLATE_DIR)


def _render(answers: dict[str, str], staging: Path) -> Path:
    """Run cookiecutter into the staging directory and return the rendered project directory."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter
    from jinja2 import TemplateError

    provenance = {VERSION_KEY: __version__, REVISION_KEY: current_template_revision()}
    try:
        rendered = cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context={**answers, **provenance},
            output_dir=str(staging),
            accept_hooks=True,
        )
    except (CookiecutterException, TemplateError) as error:
        # Jinja's text repeats the offending source line below the message: one line is enough here.
        message = (getattr(error, "message", None) or str(error)).splitlines()[0]
        source = getattr(error, "filename", None) or getattr(error, "name", None)
        where = f" in {source}, line {error.lineno}" if getattr(error, "lineno", None) else ""
        raise GenerationError(f"template rendering failed{where}: {message}") from error
    return Path(rendered)


def _conflict(source: Path, destination: Path) -> str | None:
    """Why the rendered ``source`` cannot be written at ``destination``, or None."""
    if source.is_dir() and destination.exists() and not destination.is_dir():
        return f"{destination} exists and is not a directory"
    if not source.is_dir() and destination.is_dir():
        return f"{destination} is a directory; the template has a file there"
    return None


def _merge_into(rendered: Path, target: Path) -> None:
    """Copy every rendered file over the target, keeping files the template does not produce.

    Every path is checked before the first is written: a conflict anywhere changes nothing.
    """
    sources = sorted(rendered.rglob("*"))
    conflicts = [
        reason for source in sources if (reason := _conflict(source, target / source.relative_to(rendered))) is not None
    ]
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise GenerationError(conflicts[0] + more)
    for source in sources:
        destination = target / source.relative_to(rendered)
        if source.is_dir():
            destination.mkdir(exist_ok=True)
        else:
            shutil.copy2(source, destination)


def generate(answers: dict[str, str], output_dir: Path, *, force: bool = False) -> GeneratedProject:
    """Generate the project for validated answers into ``output_dir/<project_slug>``."""
    names = derive_names(answers["project_name"])
    output_dir = output_dir.resolve()
    target = output_dir / names.project_slug
    if target.exists() and not target.is_dir():
        raise GenerationError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise GenerationError(f"{target} exists and is not empty (use --force to write the template's files over it)")

    created_dirs = _prepare_output_dir(output_dir)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{names.project_slug}.djaws-", dir=output_dir))
    except OSError as error:
        _remove_created(created_dirs)
        raise GenerationError(f"cannot write to output directory {output_dir}: {error.strerror}") from error
    try:
        rendered = _render(answers, staging)
        files = tuple(sorted(path.relative_to(rendered) for path in rendered.rglob("*") if path.is_file()))
        if target.is_dir():
            _merge_into(rendered, target)
        else:
            os.replace(rendered, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_created(created_dirs)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return GeneratedProject(path=target, files=files)


def _remove_created(created_dirs: list[Path]) -> None:
    """Remove output directories this run created, innermost first, if they are still empty."""
    for directory in created_dirs:
        try:
            directory.rmdir()
        except OSError:
            return
