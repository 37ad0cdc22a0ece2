"""What benches and tests read off running processes: memory from /proc, time until a URL answers."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

KIB_PER_MIB = 1024


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children first), read from /proc; empty once it has exited."""
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        children = [int(child) for child in children_file.read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return children + [grandchild for child in children for grandchild in descendants(child)]


def process_memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of one process in MiB; PSS splits shared pages fairly (zeros once it has exited)."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return rss / KIB_PER_MIB, pss / KIB_PER_MIB


def memory_of(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB of a process and all its descendants: what the service holds as a whole."""
    figures = [process_memory(one) for one in (pid, *descendants(pid))]
    return sum(rss for rss, _ in figures), sum(pss for _, pss in figures)


def wait_healthy(url: str, timeout: float = 60.0) -> float:
    """Poll until the URL answers 200; return the seconds it took (cold start, readiness)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} not healthy after {timeout} s")
