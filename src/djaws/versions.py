"""Render the template as a given djaws version made it.

An old template needs its own generator (its hook, its naming rules, its option checks), so a version other
than this one runs as itself: ``uv tool run`` installs it into an isolated, cached environment from the
package index (``djaws==VERSION``; uv's own index settings such as ``UV_INDEX_URL`` apply) or from the tag
``vVERSION`` of a git repository (``git+URL``). Every djaws version since 0.1.0 renders recorded answers with
``djaws new --no-input --set KEY=VALUE ...``, so 0.1.0 is the oldest version that can serve as a merge base.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from djaws import __version__
from djaws.generate import current_template_revision, generate
from djaws.options import OPTIONS_BY_KEY, defaults, validate_answers

SOURCE_VARIABLE = "DJAWS_SOURCE"
INDEX_SOURCE = "index"
RENDER_TIMEOUT_SECONDS = 600


class VersionError(RuntimeError):
    """A djaws version could not be obtained or could not render the answers."""


def default_source() -> str:
    """Where other djaws versions come from unless --source says otherwise."""
    return os.environ.get(SOURCE_VARIABLE) or INDEX_SOURCE


def requirement(version: str, source: str) -> str:
    """What ``uv tool run --from`` installs for a version: from the package index, or a git tag."""
    if source == INDEX_SOURCE:
        return f"djaws=={version}"
    if source.startswith("git+"):
        return f"{source}@v{version}"
    raise VersionError(f"unknown source {source!r}: use {INDEX_SOURCE!r} or a git URL such as git+https://host/djaws")


def renders_in_process(version: str, revision: str | None) -> bool:
    """True when this djaws renders exactly what ``version`` (at ``revision``, if known) rendered."""
    return version == __version__ and revision in (None, current_template_revision())


def render_version(version: str, answers: dict[str, str], output_dir: Path, source: str, revision: str | None) -> Path:
    """Render ``answers`` with djaws ``version`` into a new directory under ``output_dir``; return the project."""
    if renders_in_process(version, revision):
        known = {key: value for key, value in answers.items() if key in OPTIONS_BY_KEY}
        return generate(validate_answers({**defaults(), **known}), output_dir).path
    try:
        return _render_with_uv(version, answers, output_dir, source)
    except VersionError as error:
        if version != __version__:
            raise
        # A checkout between releases keeps the last version number but not its template.
        raise VersionError(
            f"{error} (this djaws is {version} too, but at template revision "
            f"{current_template_revision()}, not the project's {revision})"
        ) from None


def _render_with_uv(version: str, answers: dict[str, str], output_dir: Path, source: str) -> Path:
    """Run another djaws version's ``new`` on the answers; it fills in its own defaults for anything missing."""
    uv = shutil.which("uv")
    if uv is None:
        raise VersionError(f"rendering djaws {version} needs uv on the PATH (https://docs.astral.sh/uv/)")
    assignments = [argument for key, value in answers.items() for argument in ("--set", f"{key}={value}")]
    command = [uv, "tool", "run", "--from", requirement(version, source), "djaws", "new", "--no-input"]
    command += ["-o", str(output_dir), *assignments]
    # The other version runs its own code only: an inherited PYTHONPATH would put this one's first.
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    environment["UV_NO_PROGRESS"] = "1"
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=RENDER_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise VersionError(f"djaws {version} from {source} took over {RENDER_TIMEOUT_SECONDS} s to render") from None
    if result.returncode != 0:
        reason = next((line.strip() for line in reversed(result.stderr.splitlines()) if line.strip()), "no output")
        raise VersionError(f"djaws {version} from {source} could not render the project: {reason}")
    projects = [path for path in output_dir.iterdir() if path.is_dir()]
    if len(projects) != 1:
        raise VersionError(f"djaws {version} from {source} rendered no project directory")
    return projects[0]
