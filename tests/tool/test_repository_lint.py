"""This repository's own code is held to the standard it generates: ruff and shellcheck clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON_PATHS = ["src", "tests", "bench", "scripts"]


def test_python_is_ruff_clean() -> None:
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run([BIN / "ruff", *command, *PYTHON_PATHS], cwd=REPOSITORY, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_pass_shellcheck() -> None:
    scripts = [str(path) for path in sorted((REPOSITORY / "scripts").glob("*.sh"))] + [".ci/run"]
    result = subprocess.run([BIN / "shellcheck", *scripts], cwd=REPOSITORY, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
