"""Benchmarks that take their figures from a test: run it once and read the JSON line it prints after a marker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]


def figures_from_test(test: str, marker: str) -> dict[str, Any] | None:
    """The figures the test printed, or None (with its output shown) when it printed none."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", test],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(marker)]
    if not lines:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        return None
    return json.loads(lines[-1].removeprefix(marker))
