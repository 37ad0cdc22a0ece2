"""One list of environments: infra/names.json (from djaws.naming). Everything else that names them agrees with it:
the tfvars files, the backend's ENVIRONMENT values, the workflows' choices and the bootstrap stack's GitHub trust."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from support.projects import OPTION_SETS

from djaws.naming import ENVIRONMENTS

DISPATCHED_WORKFLOWS = ("deploy", "rollback", "destroy", "create-infra")


def settings_environments(project: Path) -> tuple[str, ...]:
    """The ENVIRONMENTS tuple backend/config/settings.py accepts, read without importing Django."""
    tree = ast.parse((project / "backend" / "config" / "settings.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "ENVIRONMENTS" for target in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("settings.py has no ENVIRONMENTS")


@pytest.mark.parametrize("option_set_name", [option_set.name for option_set in OPTION_SETS])
def test_every_list_of_environments_is_names_json(option_set_name: str, rendered_projects: dict[str, Path]) -> None:
    project = rendered_projects[option_set_name]
    environments = list(json.loads((project / "infra" / "names.json").read_text())["environments"])
    assert environments == list(ENVIRONMENTS)
    target = next(path for path in (project / "infra" / "terraform").iterdir() if (path / "envs").is_dir())
    assert sorted(path.stem for path in (target / "envs").glob("*.tfvars")) == sorted(environments)
    assert settings_environments(project) == ("local", *environments)
    for workflow in DISPATCHED_WORKFLOWS:
        document = yaml.safe_load((project / ".github" / "workflows" / f"{workflow}.yml").read_text())
        # YAML reads the bare key `on` as true.
        inputs = document[True]["workflow_dispatch"]["inputs"]
        assert inputs["environment"]["options"] == environments, workflow
    terraform = "\n".join(path.read_text() for path in (project / "infra" / "terraform").rglob("*.tf"))
    assert '"demo", "dev"' not in terraform, "Terraform spells the environment list instead of reading names.json"
