"""This repository's own code is held to the standard it generates: ruff and shellcheck clean, pinned CI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

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


def test_own_workflow_runs_ci_pinned_and_passes_actionlint_and_zizmor() -> None:
    workflows = sorted(str(path) for path in (REPOSITORY / ".github" / "workflows").glob("*.yml"))
    assert workflows
    text = "".join(Path(workflow).read_text() for workflow in workflows)
    assert "bash .ci/run" in text
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v", line), f"not pinned to a commit SHA: {line.strip()}"
    for command in ([BIN / "actionlint", *workflows], [BIN / "zizmor", "--offline", "--no-progress", *workflows]):
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_hooks_use_tools_the_dev_setup_has() -> None:
    config = yaml.safe_load((REPOSITORY / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repository in config["repos"] for hook in repository["hooks"]]
    assert {"ruff-check", "ruff-format", "shellcheck", "terraform-fmt"} <= {hook["id"] for hook in hooks}
    for hook in hooks:
        program = hook["entry"].split()[0]
        found = (REPOSITORY / program).is_file() if "/" in program else shutil.which(program) is not None
        assert found, f"{hook['id']}: {program} is not installed by the dev setup"
