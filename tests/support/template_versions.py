"""Two djaws versions in a local git repository, for ``djaws update`` tests that must not need a published djaws.

The repository is a copy of this checkout (its code and template as they are now). The older version adds two
files the newer one removes; the newer one changes files a team also edits, adds files, and flips an option
default. ``djaws update --source git+file://...`` installs them by tag (``vVERSION``) through uv, as it would
from a real repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support.projects import uv_environment

REPOSITORY = Path(__file__).resolve().parents[2]
OLD_VERSION = "99.0.0"
NEW_VERSION = "99.1.0"
PROJECT_DIR = Path("src/djaws/template/{{cookiecutter.project_slug}}")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "djaws tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "djaws tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}

# What the newer version changes, spelled once for the version and the assertions.
NEW_MAKEFILE_TARGET = (
    "\n.PHONY: upgrade-notes\nupgrade-notes: ## Show the template's upgrade notes\n\tcat docs/upgrading.md\n"
)
NEW_SETTING = '\n# Where the template explains its upgrades.\nUPGRADE_NOTES = "docs/upgrading.md"\n'
NEW_GITIGNORE_LINES = "\n# Backups of files djaws update replaced\n*.djaws-backup\n"
NEW_TFVARS_COMMENT = "# Feature switches for Terraform, from the answers (djaws 99.1.0).\n"


@dataclass(frozen=True)
class TemplateVersions:
    """The repository holding both versions; its work tree is at the newer one."""

    repository: Path

    @property
    def source(self) -> str:
        """The ``--source`` value that installs these versions."""
        return f"git+file://{self.repository}"

    def environment(self) -> dict[str, str]:
        """Environment for a djaws that runs the newer version's code in-process and finds both through uv."""
        return {
            **uv_environment(),
            **GIT_IDENTITY,
            "PYTHONPATH": str(self.repository / "src"),
            "DJAWS_SOURCE": self.source,
        }

    def djaws(self, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run the newer version's ``djaws`` command line."""
        return subprocess.run(
            [sys.executable, "-m", "djaws", *arguments],
            cwd=cwd,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=600,
        )


def git(*arguments: str, cwd: Path) -> str:
    """Run git with a test identity; fail the test with its output when it fails."""
    result = subprocess.run(
        ["git", *arguments], cwd=cwd, env={**os.environ, **GIT_IDENTITY}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(arguments)} failed: {result.stdout}{result.stderr}")
    return result.stdout


def commit_all(project: Path, message: str) -> None:
    """Commit everything in a project, making it a git repository first if it is not one."""
    if not (project / ".git").exists():
        git("init", "--quiet", "--initial-branch=main", cwd=project)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--message", message, cwd=project)


def build_template_versions(root: Path) -> TemplateVersions:
    """Copy this checkout into a git repository and tag an older and a newer djaws version in it."""
    repository = root / "djaws"
    for name in ("src", "pyproject.toml", "README.md", ".gitignore"):
        source = REPOSITORY / name
        if source.is_dir():
            shutil.copytree(source, repository / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repository / name)
    project = repository / PROJECT_DIR
    _set_version(repository, OLD_VERSION)
    (project / "docs").mkdir(exist_ok=True)
    (project / "docs" / "legacy-untouched.md").write_text("# Legacy notes\n\nThe newer template drops this file.\n")
    (project / "docs" / "legacy-edited.md").write_text("# Legacy checklist\n\n- the newer template drops this\n")
    commit_all(repository, f"djaws {OLD_VERSION}")
    git("tag", f"v{OLD_VERSION}", cwd=repository)
    _make_newer_version(repository)
    commit_all(repository, f"djaws {NEW_VERSION}")
    git("tag", f"v{NEW_VERSION}", cwd=repository)
    return TemplateVersions(repository)


def _make_newer_version(repository: Path) -> None:
    """The changes the newer template brings: edits, additions, removals, an executable and a new default."""
    project = repository / PROJECT_DIR
    _set_version(repository, NEW_VERSION)
    _append(project / "Makefile", NEW_MAKEFILE_TARGET)
    _append(project / "backend" / "config" / "settings.py", NEW_SETTING)
    _append(project / ".gitignore", NEW_GITIGNORE_LINES)
    tfvars = project / "infra" / "terraform" / "ecs-fargate" / "project.auto.tfvars"
    tfvars.write_text(NEW_TFVARS_COMMENT + tfvars.read_text())
    (project / "docs" / "legacy-untouched.md").unlink()
    (project / "docs" / "legacy-edited.md").unlink()
    (project / "docs" / "upgrading.md").write_text("# Upgrading {{ cookiecutter.project_name }}\n\nRun djaws update.\n")
    check = project / "docs" / "check-upgrade.sh"
    check.write_text('#!/usr/bin/env bash\nset -euo pipefail\necho "run: djaws update --dry-run"\n')
    check.chmod(0o755)
    replace_text(
        repository / "src" / "djaws" / "options.py",
        '"Channels websockets (/ws/notifications/).", "y", choices=("y", "n")',
        '"Channels websockets (/ws/notifications/).", "n", choices=("n", "y")',
    )
    replace_text(
        repository / "src" / "djaws" / "template" / "cookiecutter.json",
        '"use_websocket": ["y", "n"]',
        '"use_websocket": ["n", "y"]',
    )


def _set_version(repository: Path, version: str) -> None:
    init = repository / "src" / "djaws" / "__init__.py"
    lines = [
        f'__version__ = "{version}"' if line.startswith("__version__") else line
        for line in init.read_text().splitlines()
    ]
    init.write_text("\n".join(lines) + "\n")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def replace_text(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of text that must be there: a test whose assumption broke fails here."""
    text = path.read_text()
    assert old in text, f"{path} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))
