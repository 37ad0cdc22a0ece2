"""The generated documents name only commands that exist in that project.

Every ``make TARGET`` a document cites must be a target of the project's Makefile (or the file it
includes), and every ``ops COMMAND`` a subcommand of the project's own ops CLI, asked from its
argument parser. A renamed or unbuilt command then fails here, not in a client's incident.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.projects import OPTION_SETS

OPTION_SET_NAMES = [option_set.name for option_set in OPTION_SETS]
DOCUMENTS = ("README.md", "docs/runbook.md", "infra/README.md", "ops/README.md")
MAKE_CITATION = re.compile(r"\bmake ([a-z][a-z0-9-]*[a-z0-9])\b(?!-)")
# "uv run --project ops ops status" cites status.
OPS_CITATION = re.compile(r"\bops (?!ops\b)([a-z][a-z-]*)\b")
MAKE_TARGET = re.compile(r"^([a-zA-Z0-9_-]+):", re.MULTILINE)
# Words that follow "make"/"ops" in prose rather than naming a command.
PROSE = {"make": {"sure", "it", "the", "a", "them", "one", "targets"}, "ops": {"cli", "and", "the"}}


def cited(project: Path, pattern: re.Pattern[str], word: str) -> dict[str, set[str]]:
    """Command name -> the documents that cite it."""
    citations: dict[str, set[str]] = {}
    for document in DOCUMENTS:
        path = project / document
        if path.exists():
            for match in pattern.finditer(path.read_text()):
                if match.group(1) not in PROSE[word]:
                    citations.setdefault(match.group(1), set()).add(document)
    return citations


def make_targets(project: Path) -> set[str]:
    makefiles = [project / "Makefile", project / "infra" / "infra.mk"]
    return {target for path in makefiles if path.exists() for target in MAKE_TARGET.findall(path.read_text())}


def ops_commands(project: Path) -> set[str]:
    """The subcommands the project's ops parser accepts (imported in a child: every project has its own ops)."""
    program = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); from ops.cli import build_parser; "
        "parser = build_parser(); "
        "print(json.dumps(sorted(parser._subparsers._group_actions[0].choices)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, str(project / "ops" / "src")], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_every_make_target_the_documents_cite_exists(rendered_projects: dict[str, Path], name: str) -> None:
    project = rendered_projects[name]
    targets = make_targets(project)
    citations = cited(project, MAKE_CITATION, "make")
    assert {"deploy", "rollback", "status"} <= set(citations)
    missing = {target: sorted(documents) for target, documents in citations.items() if target not in targets}
    assert not missing, f"documents cite make targets the Makefile lacks: {missing}"


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_every_ops_command_the_documents_cite_exists(rendered_projects: dict[str, Path], name: str) -> None:
    project = rendered_projects[name]
    commands = ops_commands(project)
    citations = cited(project, OPS_CITATION, "ops")
    assert {"deploy", "status"} <= set(citations)
    missing = {command: sorted(documents) for command, documents in citations.items() if command not in commands}
    assert not missing, f"documents cite ops commands the CLI lacks: {missing}"
