"""Long-running child processes (servers, workers) for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def background(
    command: list[str], cwd: Path, env: dict[str, str], log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a command in its own process group (output to ``log``, or discarded); stop the whole group on exit."""
    output: IO[bytes] | int = log.open("wb") if log else subprocess.DEVNULL
    try:
        child = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield child
        finally:
            stop_group(child)
    finally:
        if not isinstance(output, int):
            output.close()


def stop_group(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, SIGKILL it after 20 s; a group already gone (killed by a test) is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
