"""Which branch deploys to which environment, read from ``infra/branches.json``.

That file is the one place the mapping lives: the deploy workflow reads it to pick the environment
of a push, ``ops init`` creates the branches it lists and stores it as a GitHub variable.
"""

from __future__ import annotations

import json
from pathlib import Path

from ops.errors import UsageError
from ops.project import Project

BRANCHES_FILE = Path("infra") / "branches.json"
DEFAULT_BRANCH = "main"


def branch_environments(project: Project) -> dict[str, str]:
    """Branch name -> environment; an unknown environment gets one line naming the file."""
    path = project.root / BRANCHES_FILE
    try:
        mapping = json.loads(path.read_text())["branches"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"cannot read the branch map from {path}: {error}") from error
    for branch, environment in mapping.items():
        if environment not in project.environments:
            raise UsageError(
                f"{BRANCHES_FILE}: branch {branch!r} maps to unknown environment {environment!r}; "
                f"use one of {', '.join(project.environments)}"
            )
    return dict(mapping)
