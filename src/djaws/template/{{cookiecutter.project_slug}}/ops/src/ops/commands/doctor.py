"""``ops doctor [--env ENV]``: is this machine and this project ready for the other commands?

Checks, in order: the backend's env file (where it is, who can read it, the variables in it), each
environment's Terraform settings (state, names, domain, certificate, alarm address), the tools and
their versions, then AWS (credentials, the bootstrap stack's state bucket and roles). Nothing is
changed and no Terraform state is read, so it runs before the first ``make init``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ops.doctor import Finding, check_tools
from ops.doctor_infra import check_aws, check_terraform_settings
from ops.doctor_settings import check_env_file_place, check_variables
from ops.project import Project

GROUP_TITLES = {"settings": "Settings (.env)", "terraform": "Terraform settings", "tools": "Tools", "aws": "AWS"}
JSON_SHAPE = """\
--json prints one object:
  ok        true when no finding is a problem
  problems  the problem findings, as below
  findings  [{group, status, text, fix}]: group settings, terraform, tools or aws;
            status ok, warning (a command that cannot run: fix says what to install) or problem

exit status: 0 nothing is wrong (warnings allowed), 1 one or more problems (one line each, with the fix)"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check env file, variables, Terraform settings, tools and AWS access; one line per problem with its fix",
        epilog=JSON_SHAPE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--env", metavar="ENV", help="check this environment's settings only (default: every one)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON (shape below)")
    parser.set_defaults(handler=run)


def diagnose(project: Project, environments: list[str]) -> list[Finding]:
    """Every group's findings, in the order they are printed."""
    placement, env_file = check_env_file_place(project.root)
    return [
        *placement,
        *check_variables(project.root, env_file),
        *check_terraform_settings(project, environments),
        *check_tools(),
        *check_aws(project),
    ]


def print_findings(findings: list[Finding]) -> None:
    group = ""
    for finding in findings:
        if finding.group != group:
            group = finding.group
            print(GROUP_TITLES[group])
        print(f"  {finding.line()}")


def run(args: argparse.Namespace) -> int:
    project = Project.discover()
    if args.env:
        project.check_environment(args.env)
    findings = diagnose(project, [args.env] if args.env else list(project.environments))
    problems = [finding for finding in findings if finding.status == "problem"]
    if args.json:
        document = {
            "ok": not problems,
            "problems": [finding.to_dict() for finding in problems],
            "findings": [finding.to_dict() for finding in findings],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print_findings(findings)
    if problems:
        print(f"ops doctor: {len(problems)} problem{'s' if len(problems) > 1 else ''}", file=sys.stderr)
        return 1
    return 0
