"""Projects rendered by djaws as it was at an earlier commit of this repository, for upgrade tests.

The earlier djaws comes out of this checkout's own git history (``git archive``), so what a project generated
back then holds is what that code renders, not a reconstruction written by the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

RENDER = """
import json, sys
from pathlib import Path
from djaws.generate import generate
from djaws.options import defaults
answers, output = json.loads(sys.argv[1]), Path(sys.argv[2])
print(generate({**defaults(), **answers}, output).path)
"""


def extract_djaws(commit: str, destination: Path) -> Path:
    """``src/djaws`` as it was at ``commit``, unpacked under ``destination``; the directory to put on PYTHONPATH."""
    known = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=REPOSITORY, capture_output=True, check=False
    )
    if known.returncode != 0:
        raise AssertionError(f"commit {commit} is not in this clone's history (a shallow clone?): fetch it first")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "src/djaws"], cwd=REPOSITORY, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination / "src"


def render_at_commit(commit: str, answers: dict[str, str], output_dir: Path, work_dir: Path) -> Path:
    """Generate a project with djaws as it was at ``commit``; the project's directory."""
    source = extract_djaws(commit, work_dir)
    result = subprocess.run(
        [sys.executable, "-c", RENDER, json.dumps(answers), str(output_dir)],
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise AssertionError(f"djaws at {commit} could not render the project:\n{result.stderr[-3000:]}")
    return Path(result.stdout.strip().splitlines()[-1])
