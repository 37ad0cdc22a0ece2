"""Stand-ins for gh, aws, terraform and docker that record their calls and answer from a state file.

The ``make init`` tests put wrappers named after each tool on the PATH; each runs
``python fake_cli.py TOOL ARGS...``. Every call is appended to ``$FAKE_CLI_LOG`` as a JSON line
(tool, args, working directory), and ``$FAKE_CLI_STATE`` (a JSON file) holds what GitHub and the
bootstrap stack look like, so a second run sees what the first one made. ``gh repo create`` makes
a bare git repository beside the state file, so pushes are real. ``git`` itself is the real one,
behind a wrapper that only records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
USER = {"login": "octo-user", "id": 4242}


def load_state() -> dict[str, Any]:
    path = Path(os.environ["FAKE_CLI_STATE"])
    return json.loads(path.read_text()) if path.exists() else {"repos": {}, "bootstrap": None}


def save_state(state: dict[str, Any]) -> None:
    Path(os.environ["FAKE_CLI_STATE"]).write_text(json.dumps(state, indent=2))


def answer(payload: Any) -> int:
    print(json.dumps(payload))
    return 0


def fail(message: str, status: int = 1) -> int:
    print(message, file=sys.stderr)
    return status


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def real_git() -> str:
    """The real git, called directly so the fakes' own git calls stay out of the log."""
    return os.environ["FAKE_CLI_REAL_GIT"]


def origin_repository(state: dict[str, Any]) -> str | None:
    result = subprocess.run([real_git(), "remote", "get-url", "origin"], capture_output=True, text=True, check=False)
    url = result.stdout.strip()
    return next((name for name, repo in state["repos"].items() if repo["url"] == url), None)


def gh(args: list[str]) -> int:
    state = load_state()
    if args[:2] == ["auth", "status"]:
        return 0
    if args == ["api", "user"]:
        return answer(USER)
    if args[:2] == ["repo", "view"]:
        name = args[2] if len(args) > 2 and not args[2].startswith("-") else origin_repository(state)
        if name not in state["repos"]:
            return fail("GraphQL: Could not resolve to a Repository")
        return answer({"nameWithOwner": name, "url": state["repos"][name]["url"]})
    if args[:2] == ["repo", "create"]:
        name = args[2]
        bare = Path(os.environ["FAKE_CLI_STATE"]).parent / f"{name.replace('/', '__')}.git"
        subprocess.run([real_git(), "init", "--quiet", "--bare", str(bare)], check=True)
        state["repos"][name] = {"url": str(bare), "private": "--private" in args, "environments": {}, "variables": {}}
        save_state(state)
        return 0
    if args[0] == "api" and args[1].endswith("/environments"):
        repo = state["repos"][args[1].removeprefix("repos/").removesuffix("/environments")]
        return answer(
            {"total_count": len(repo["environments"]), "environments": [{"name": n} for n in repo["environments"]]}
        )
    if args[:3] == ["api", "--method", "PUT"] and "/environments/" in args[3]:
        name, environment = args[3].removeprefix("repos/").split("/environments/")
        state["repos"][name]["environments"][environment] = json.loads(sys.stdin.read() or "{}")
        save_state(state)
        return 0
    if args[:2] == ["variable", "list"]:
        variables = state["repos"][option(args, "--repo")]["variables"]
        return answer([{"name": key, "value": value} for key, value in variables.items()])
    if args[:2] == ["variable", "set"]:
        state["repos"][option(args, "--repo")]["variables"][args[2]] = option(args, "--body")
        save_state(state)
        return 0
    return fail(f"fake gh: unsupported call {args}", 2)


def aws(args: list[str]) -> int:
    if args[:2] == ["sts", "get-caller-identity"]:
        return answer({"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/admin", "UserId": "AIDAFAKE"})
    if args[:2] == ["iam", "list-open-id-connect-providers"]:
        return answer({"OpenIDConnectProviderList": []})
    return fail(f"fake aws: unsupported call {args}", 2)


def terraform(args: list[str]) -> int:
    state = load_state()
    applied = state["bootstrap"]
    variables = sorted(arg for arg in args if arg.startswith("-var="))
    if args[0] in ("init", "version"):
        return 0
    if args[:2] == ["state", "list"]:
        if applied:
            print("aws_iam_openid_connect_provider.github[0]\naws_iam_role.deploy[0]\naws_iam_role.infra[0]")
        return 0
    if args[0] == "plan":
        if applied == variables:
            return 0
        Path(next(arg for arg in args if arg.startswith("-out=")).removeprefix("-out=")).write_text(
            json.dumps(variables)
        )
        return 2
    if args[0] == "apply":
        state["bootstrap"] = json.loads(Path(args[-1]).read_text())
        save_state(state)
        Path("terraform.tfstate").write_text("{}")
        return 0
    if args[:2] == ["show", "-json"]:
        actions = [["create"], ["delete", "create"], ["update"], ["no-op"], ["read"]]
        return answer({"resource_changes": [{"change": {"actions": action}} for action in actions]})
    if args[:2] == ["show", "-no-color"]:
        print('  + resource "aws_s3_bucket" "media" {\n\nPlan: 2 to add, 1 to change, 1 to destroy.')
        return 0
    if args[0] == "destroy":
        return 0
    if args[:2] == ["output", "-json"]:
        if not applied:
            return answer({})
        role = f"arn:aws:iam::{ACCOUNT}:role"
        return answer(
            {
                "state_bucket": {"value": "fake-tfstate"},
                "deploy_role_arn": {"value": f"{role}/fake-github-deploy"},
                "infra_role_arn": {"value": f"{role}/fake-github-infra"},
            }
        )
    return fail(f"fake terraform: unsupported call {args}", 2)


def docker(args: list[str]) -> int:
    return 0 if args[:2] == ["buildx", "version"] else fail(f"fake docker: unsupported call {args}", 2)


def main() -> int:
    tool, args = sys.argv[1], sys.argv[2:]
    with open(os.environ["FAKE_CLI_LOG"], "a") as log:
        log.write(json.dumps({"tool": tool, "args": args, "cwd": os.getcwd()}) + "\n")
    if tool == "git":
        os.execv(real_git(), ["git", *args])
    return {"gh": gh, "aws": aws, "terraform": terraform, "docker": docker}[tool](args)


if __name__ == "__main__":
    sys.exit(main())
