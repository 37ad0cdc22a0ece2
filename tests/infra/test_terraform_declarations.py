"""Terraform that says nothing it does not use: every variable, local value and data source of every module is
referred to, and every variable says what it is for, in each option set as rendered (options remove resources, and
with them the last use of a declaration). Offline stand-ins for tflint's unused-declarations and
documented-variables rules (support/terraform_declarations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.projects import OPTION_SETS
from support.terraform_declarations import undocumented_variables, unused

SPARE_DECLARATIONS = """variable "spare" {
  type = string
  validation {
    condition     = length(var.spare) > 0
    error_message = "The spare variable is empty."
  }
}

locals {
  spare_value = 1
  used = {
    spare = "nested keys are not declarations"
  }
}

data "aws_region" "spare" {}

output "used" {
  value = local.used
}
"""


def modules(project: Path) -> list[Path]:
    """The project's Terraform modules: each directory holding .tf files (tests hold none)."""
    terraform = project / "infra" / "terraform"
    return sorted({path.parent for path in terraform.rglob("*.tf")})


@pytest.mark.parametrize("option_set_name", [option_set.name for option_set in OPTION_SETS])
def test_every_declaration_is_used_and_every_variable_documented(
    option_set_name: str, rendered_projects: dict[str, Path]
) -> None:
    project_modules = modules(rendered_projects[option_set_name])
    assert len(project_modules) >= 5, project_modules
    problems = {module.name: unused(module) + undocumented_variables(module) for module in project_modules}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_check_finds_each_kind_of_unused_declaration(tmp_path: Path) -> None:
    """A variable used only by its own validation, an unused local, an unused data source, a missing description."""
    (tmp_path / "spare.tf").write_text(SPARE_DECLARATIONS)
    assert unused(tmp_path) == ["spare.tf: var.spare", "spare.tf: local.spare_value", "spare.tf: data.aws_region.spare"]
    assert undocumented_variables(tmp_path) == ["spare.tf: var.spare"]
