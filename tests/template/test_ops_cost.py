"""``ops cost`` (``make cost``): monthly cost per resource from the tfvars and the committed price table.

Rendered projects of both targets run the real ``ops cost`` with no AWS credentials, no region and every
HTTP(S) request sent to a closed port, so any AWS call would fail. Figures are checked against arithmetic
done here from prices.json and the tfvars; edited tfvars must move exactly the lines they drive. The
docs (READMEs, tfvars comments, budgets) are compared with the command's own output.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.projects import OPTION_SETS_BY_NAME, OptionSet, generate_option_set, install_ops

ENVIRONMENTS = ("demo", "dev", "stg", "prod")
TARGETS = ("ecs-fargate", "ec2-all-in-one")
DEFAULT_REGION = "ap-northeast-2"
PRICES = Path(__file__).parents[2] / "src/djaws/template/{{cookiecutter.project_slug}}/ops/src/ops/prices.json"
HOURS = 730


@dataclass(frozen=True)
class Rendered:
    """The default option set rendered for each target, and one installed ops CLI to run in them."""

    projects: dict[str, Path]
    ops: Path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Both targets with every process in the default region: the case the READMEs' tables describe."""
    default = OPTION_SETS_BY_NAME["default"]
    projects = {}
    for target in TARGETS:
        option_set = OptionSet(f"cost-{target}", {**default.answers, "aws_deployment": target})
        projects[target] = generate_option_set(option_set, tmp_path_factory.mktemp(target))
    return Rendered(projects, install_ops(projects["ecs-fargate"]))


@pytest.fixture
def copy_of(rendered: Rendered, tmp_path: Path) -> Any:
    """A fresh copy of one target's project, to edit its Terraform files."""

    def copy(target: str) -> Path:
        destination = tmp_path / target
        shutil.copytree(rendered.projects[target], destination, ignore=shutil.ignore_patterns(".venv"))
        return destination

    return copy


def offline_environment(home: Path) -> dict[str, str]:
    """No credentials, no config, no region, no instance metadata, and a dead proxy for every request."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }


def ops_cost(rendered: Rendered, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(rendered.ops), "cost", *args],
        cwd=project,
        env=offline_environment(project),
        capture_output=True,
        text=True,
        timeout=120,
    )


def cost_json(rendered: Rendered, project: Path, *args: str) -> dict[str, Any]:
    result = ops_cost(rendered, project, "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return dict(json.loads(result.stdout))


def estimate(document: dict[str, Any], target: str, environment: str) -> dict[str, Any]:
    (found,) = [e for e in document["estimates"] if e["target"] == target and e["environment"] == environment]
    return dict(found)


def amounts(entry: dict[str, Any]) -> dict[str, float | None]:
    return {line["key"]: line["monthly_usd"] for line in entry["lines"]}


def seoul() -> dict[str, Any]:
    return dict(json.loads(PRICES.read_text())["regions"][DEFAULT_REGION])


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact line fragment in a Terraform file (it must be there exactly once)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new))


def per_process_demo(project: Path) -> Path:
    """demo.tfvars switched to stg/prod's layout: one on-demand service per process, ElastiCache."""
    tfvars = project / "infra/terraform/ecs-fargate/envs/demo.tfvars"
    edit(tfvars, 'task_layout                       = "packed"', 'task_layout = "per-process"')
    edit(tfvars, 'capacity_provider                 = "FARGATE_SPOT"', 'capacity_provider = "FARGATE"')
    edit(tfvars, 'redis                             = "container"', 'redis = "elasticache"')
    edit(tfvars, 'db_instance_class        = "db.t4g.micro"', 'db_instance_class = "db.t3.micro"')
    return tfvars


def test_ecs_lines_follow_the_tfvars_and_the_price_table(rendered: Rendered, copy_of: Any) -> None:
    project = copy_of("ecs-fargate")
    per_process_demo(project)
    price, usage = seoul(), json.loads(PRICES.read_text())["usage"]
    fargate = price["fargate"]["X86_64"]
    quarter_task = (0.25 * fargate["vcpu_hour"] + 0.5 * fargate["gb_hour"]) * HOURS
    before = estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo")
    lines = amounts(before)
    # service_sizes' defaults (variables.tf): five 0.25 vCPU / 512 MiB tasks, one each, public addresses;
    # db.t3.micro, cache.t3.micro.
    assert lines["fargate_web"] == pytest.approx(quarter_task, abs=0.006)
    assert lines["public_ipv4"] == pytest.approx((5 + 2) * price["public_ipv4_hour"] * HOURS, abs=0.006)
    assert lines["nat_gateway"] is None
    assert lines["rds_instance"] == pytest.approx(price["rds_postgres_hour"]["db.t3.micro"] * HOURS, abs=0.006)
    assert lines["rds_storage"] == pytest.approx(20 * price["rds_gp3_gb_month"], abs=0.006)
    assert lines["elasticache"] == pytest.approx(price["elasticache_node_hour"]["cache.t3.micro"] * HOURS, abs=0.006)
    assert lines["fargate_packed"] is None
    assert before["hourly_usd"] == pytest.approx(before["monthly_usd"] / HOURS, abs=0.006)
    assert before["daily_usd"] == pytest.approx(before["monthly_usd"] * 24 / HOURS, abs=0.006)

    tfvars = project / "infra/terraform/ecs-fargate/envs/demo.tfvars"
    edit(
        project / "infra/terraform/ecs-fargate/variables.tf",
        "web       = { cpu = 256, memory = 512, desired_count = 1 }",
        "web = { cpu = 256, memory = 512, desired_count = 3 }",
    )
    edit(tfvars, 'db_instance_class = "db.t3.micro"', 'db_instance_class = "db.t3.small"')
    # Not in the tfvars: the default in variables.tf drives it.
    storage_default = 'description = "Initial RDS storage in GiB (gp3)."\n  type        = number\n  default     = '
    edit(project / "infra/terraform/ecs-fargate/variables.tf", storage_default + "20\n", storage_default + "50\n")
    after = estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo")
    moved = {key: (amounts(after)[key] or 0) - (value or 0) for key, value in lines.items()}
    expected = {
        "fargate_web": 2 * quarter_task,
        "public_ipv4": 2 * price["public_ipv4_hour"] * HOURS,
        "rds_instance": (price["rds_postgres_hour"]["db.t3.small"] - price["rds_postgres_hour"]["db.t3.micro"]) * HOURS,
        "rds_storage": 30 * price["rds_gp3_gb_month"],
        # Two more tasks write logs too, kept demo's 7 days.
        "logs": 2
        * usage["log_gb_per_process_month"]
        * (price["logs_ingest_gb"] + price["logs_store_gb_month"] * 7 / 30),
    }
    for key, change in moved.items():
        assert change == pytest.approx(expected.get(key, 0.0), abs=0.011), key
    assert after["monthly_usd"] - before["monthly_usd"] == pytest.approx(sum(moved.values()), abs=0.05)


def test_the_packed_demo_is_one_spot_task_with_redis_inside_and_costs_at_most_65(
    rendered: Rendered, copy_of: Any
) -> None:
    """demo.tfvars: every process in one 0.25 vCPU / 1 GiB Spot task, Redis in it, one task address."""
    project = copy_of("ecs-fargate")
    price, usage = seoul(), json.loads(PRICES.read_text())["usage"]
    document = json.loads(PRICES.read_text())
    spot = document["fargate_spot"]["fraction_of_on_demand"]
    fargate = price["fargate"]["X86_64"]
    on_demand = (0.25 * fargate["vcpu_hour"] + 1 * fargate["gb_hour"]) * HOURS
    before = estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo")
    lines = amounts(before)
    assert lines["fargate_packed"] == pytest.approx(on_demand * spot, abs=0.006)
    assert all(lines[f"fargate_{process}"] is None for process in ("web", "websocket", "frontend", "worker", "beat"))
    # The packed task's one address and the load balancer's two.
    assert lines["public_ipv4"] == pytest.approx(3 * price["public_ipv4_hour"] * HOURS, abs=0.006)
    assert lines["elasticache"] is None and lines["elasticache_snapshots"] is None
    assert lines["rds_instance"] == pytest.approx(price["rds_postgres_hour"]["db.t4g.micro"] * HOURS, abs=0.006)
    details = {line["key"]: line["detail"] for line in before["lines"]}
    # Six containers write logs (five processes and Redis); alarms: 6 stack-wide, 3 target groups, CPU and memory.
    assert details["logs"].startswith("1.3 GB in (6 containers 1.2 GB, RDS 0.1 GB)")
    assert details["alarms"] == "11 alarms"
    assert before["monthly_usd"] <= 65, "the issue's target: the ECS demo with every process for at most $65"
    assert any("Fargate Spot is priced at 33% of on demand" in note for note in before["notes"])

    tfvars = project / "infra/terraform/ecs-fargate/envs/demo.tfvars"
    edit(tfvars, 'capacity_provider                 = "FARGATE_SPOT"', 'capacity_provider = "FARGATE"')
    on_demand_lines = amounts(estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo"))
    moved = {key: (on_demand_lines[key] or 0) - (value or 0) for key, value in lines.items()}
    for key, change in moved.items():
        expected = on_demand * (1 - spot) if key == "fargate_packed" else 0.0
        assert change == pytest.approx(expected, abs=0.011), key

    edit(tfvars, 'redis                             = "container"', 'redis = "elasticache"')
    managed = amounts(estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo"))
    assert managed["elasticache"] == pytest.approx(price["elasticache_node_hour"]["cache.t3.micro"] * HOURS, abs=0.006)
    # One stream fewer: Redis is no longer a container writing to CloudWatch.
    assert managed["logs"] == pytest.approx(
        (lines["logs"] or 0)
        - usage["log_gb_per_process_month"] * (price["logs_ingest_gb"] + price["logs_store_gb_month"] * 7 / 30),
        abs=0.006,
    )


def scheduled_runs_per_hour(stack: Path) -> float:
    """How often scheduled_tasks.tf starts a management command, summed over its schedules."""
    rates = re.findall(r'schedule = "rate\((\d+) (minute|hour)s?\)"', (stack / "scheduled_tasks.tf").read_text())
    assert rates, "no rate(...) schedules in scheduled_tasks.tf"
    return sum((60 if unit == "minute" else 1) / int(count) for count, unit in rates)


def test_without_celery_the_scheduled_commands_are_priced(rendered: Rendered, copy_of: Any) -> None:
    """No beat: each Scheduler run is a web-sized Spot task billed Fargate's minimum minute, with a public
    address for that minute; one more alarm (runs Scheduler drops). With Celery the line has no amount."""
    project = copy_of("ecs-fargate")
    price, usage = seoul(), json.loads(PRICES.read_text())["usage"]
    spot = json.loads(PRICES.read_text())["fargate_spot"]["fraction_of_on_demand"]
    fargate = price["fargate"]["X86_64"]
    with_celery = estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo")
    assert amounts(with_celery)["scheduled_tasks"] is None
    options = project / "infra/terraform/ecs-fargate/project.auto.tfvars"
    edit(options, "enable_celery    = true", "enable_celery = false")
    without = estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo")
    task_hours = scheduled_runs_per_hour(project / "infra/terraform/ecs-fargate") * HOURS
    task_hours *= usage["scheduled_task_minutes"] / 60
    # The web family's size (variables.tf's default: 0.25 vCPU / 512 MiB).
    web_hour = 0.25 * fargate["vcpu_hour"] + 0.5 * fargate["gb_hour"]
    expected = task_hours * (web_hour * spot + price["public_ipv4_hour"])
    assert amounts(without)["scheduled_tasks"] == pytest.approx(expected, abs=0.006)
    details = {line["key"]: line["detail"] for line in without["lines"]}
    # The worker and beat are no load-balanced processes nor services of their own in the packed layout.
    assert {line["key"]: line["detail"] for line in with_celery["lines"]}["alarms"] == "11 alarms"
    assert details["alarms"] == "12 alarms"
    assert details["scheduled_tasks"].startswith(f"{round(task_hours * 60 / usage['scheduled_task_minutes']):,} runs")


def test_nat_gateway_replaces_the_task_addresses(rendered: Rendered, copy_of: Any) -> None:
    project = copy_of("ecs-fargate")
    price = seoul()
    per_process_demo(project)
    edit(
        project / "infra/terraform/ecs-fargate/envs/demo.tfvars",
        "enable_nat_gateway = false",
        "enable_nat_gateway = true",
    )
    lines = amounts(estimate(cost_json(rendered, project, "--env", "demo"), "ecs-fargate", "demo"))
    nat = price["nat_gateway_hour"] * HOURS + 5 * price["nat_gateway_gb"]
    assert lines["nat_gateway"] == pytest.approx(nat, abs=0.006)
    # The load balancer's two addresses and the NAT gateway's Elastic IP; the tasks have none.
    assert lines["public_ipv4"] == pytest.approx(3 * price["public_ipv4_hour"] * HOURS, abs=0.006)


def test_ec2_lines_follow_the_tfvars_and_the_price_table(rendered: Rendered, copy_of: Any) -> None:
    project = copy_of("ec2-all-in-one")
    price = seoul()
    before = estimate(cost_json(rendered, project, "--env", "demo"), "ec2-all-in-one", "demo")
    lines = amounts(before)
    assert lines["ec2_instance"] == pytest.approx(price["ec2_hour"]["t3.micro"] * HOURS, abs=0.006)
    assert lines["ebs_volume"] == pytest.approx(30 * price["ebs_gp3_gb_month"], abs=0.006)
    assert lines["public_ipv4"] == pytest.approx(price["public_ipv4_hour"] * HOURS, abs=0.006)

    tfvars = project / "infra/terraform/ec2-all-in-one/envs/demo.tfvars"
    edit(tfvars, 'instance_type    = "t3.micro"', 'instance_type = "t3.small"')
    edit(tfvars, "root_volume_gb   = 30", "root_volume_gb = 50")
    after = amounts(estimate(cost_json(rendered, project, "--env", "demo"), "ec2-all-in-one", "demo"))
    moved = {key: (after[key] or 0) - (value or 0) for key, value in lines.items()}
    expected = {
        "ec2_instance": (price["ec2_hour"]["t3.small"] - price["ec2_hour"]["t3.micro"]) * HOURS,
        "ebs_volume": 20 * price["ebs_gp3_gb_month"],
    }
    for key, change in moved.items():
        assert change == pytest.approx(expected.get(key, 0.0), abs=0.011), key


def test_another_region_uses_its_own_prices(rendered: Rendered) -> None:
    project = rendered.projects["ec2-all-in-one"]
    virginia = json.loads(PRICES.read_text())["regions"]["us-east-1"]
    lines = amounts(
        estimate(cost_json(rendered, project, "--env", "demo", "--region", "us-east-1"), "ec2-all-in-one", "demo")
    )
    assert lines["ec2_instance"] == pytest.approx(virginia["ec2_hour"]["t3.micro"] * HOURS, abs=0.006)


def test_both_targets_side_by_side_for_every_environment(rendered: Rendered) -> None:
    for own, project in rendered.projects.items():
        result = ops_cost(rendered, project)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        text = result.stdout
        document = cost_json(rendered, project, "--all")
        assert [(e["target"], e["environment"]) for e in document["estimates"]] == [
            (target, environment) for target in (own, *(t for t in TARGETS if t != own)) for environment in ENVIRONMENTS
        ]
        side_by_side = text[text.index("Side by side") :].splitlines()
        assert side_by_side[0].split() == ["Side", "by", "side", *ENVIRONMENTS]
        for target in TARGETS:
            month, hour, day = next(
                side_by_side[index : index + 3]
                for index, line in enumerate(side_by_side)
                if line.startswith(f"{target} a month")
            )
            for row, key in ((month, "monthly_usd"), (hour, "hourly_usd"), (day, "daily_usd")):
                figures = [float(cell.strip("$").replace(",", "")) for cell in row.split() if cell.startswith("$")]
                assert figures == [estimate(document, target, environment)[key] for environment in ENVIRONMENTS]
        one_target = cost_json(rendered, project, "--target", "ec2-all-in-one")
        assert {e["target"] for e in one_target["estimates"]} == {"ec2-all-in-one"}


def test_the_other_target_is_priced_from_its_shipped_settings(rendered: Rendered) -> None:
    """Each project prices its own target from its tfvars and the other from reference_settings.json:
    both must give the same estimate, so the reference is what that target's tfvars say."""
    documents = {target: cost_json(rendered, project, "--all") for target, project in rendered.projects.items()}
    for target in TARGETS:
        other = next(t for t in TARGETS if t != target)
        for environment in ENVIRONMENTS:
            own = estimate(documents[target], target, environment)
            reference = estimate(documents[other], target, environment)
            assert reference["settings"] == own["settings"], (
                f"reference_settings.json's {target} {environment} differs from its tfvars; it should be\n"
                + json.dumps(own["settings"], indent=2)
            )
            assert reference["lines"] == own["lines"]


def test_bad_input_is_one_line_and_exit_2(rendered: Rendered, copy_of: Any) -> None:
    project = rendered.projects["ecs-fargate"]
    for args, expected in (
        (("--env", "staging"), "unknown environment 'staging'"),
        (("--region", "eu-north-9"), "no prices for eu-north-9"),
    ):
        result = ops_cost(rendered, project, *args)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    edited = copy_of("ec2-all-in-one")
    tfvars = edited / "infra/terraform/ec2-all-in-one/envs/prod.tfvars"
    edit(tfvars, 'instance_type    = "t3.small"', 'instance_type = "x9.huge"')
    result = ops_cost(rendered, edited, "--env", "prod")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "x9.huge" in result.stderr
    edit(tfvars, 'instance_type = "x9.huge"', 'instance_type = lower("T3.SMALL")')
    result = ops_cost(rendered, edited, "--env", "prod")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "prod.tfvars line" in result.stderr and "not a literal value" in result.stderr


def count_blocks(stack: Path, resource_type: str, running: list[str], services: int) -> int:
    """Resources of one type the stack's Terraform creates, for_each and count evaluated for these processes
    and this many ECS services (one in the packed layout)."""
    multiplicity = {
        "": 1,
        "for_each = local.ecs_services": services,
        "for_each = local.load_balanced": len([p for p in running if p in ("web", "websocket", "frontend")]),
        # Scheduler's resources exist only without Celery (no beat).
        "count = local.schedules_enabled ? 1 : 0": 0 if "beat" in running else 1,
    }
    total = 0
    for path in sorted(stack.glob("*.tf")):
        for block in re.split(r"^(?=resource )", path.read_text(), flags=re.MULTILINE):
            if block.startswith(f'resource "{resource_type}"'):
                meta = re.search(r"^  ((?:for_each|count) = .*)$", block, re.MULTILINE)
                key = meta.group(1) if meta else ""
                assert key in multiplicity, f"teach ops/cost.py and this test how many {resource_type} {key} makes"
                total += multiplicity[key]
    return total


def test_monitoring_counts_match_the_terraform(rendered: Rendered) -> None:
    running = ["web", "websocket", "frontend", "worker", "beat"]
    for target, project in rendered.projects.items():
        stack = project / "infra/terraform" / target
        entry = estimate(cost_json(rendered, project, "--env", "demo", "--target", target), target, "demo")
        details = {line["key"]: line["detail"] for line in entry["lines"]}
        # demo has no autoscaling, so every alarm is one the Terraform declares; its packed layout is one service.
        assert int(details["alarms"].split()[0]) == count_blocks(stack, "aws_cloudwatch_metric_alarm", running, 1)
        assert int(details["dashboards"].split()[0]) == count_blocks(stack, "aws_cloudwatch_dashboard", running, 1)
        if target == "ec2-all-in-one":
            filters = count_blocks(stack, "aws_cloudwatch_log_metric_filter", running, 1)
            assert details["custom_metrics"].startswith(f"{filters} from request log lines")


def markdown_tables(text: str) -> list[str]:
    return [block for block in text.strip().split("\n\n") if block.startswith("| Resource")]


def test_docs_and_budgets_agree_with_ops_cost(rendered: Rendered) -> None:
    price = seoul()
    for target, project in rendered.projects.items():
        result = ops_cost(rendered, project, "--all", "--format", "markdown", "--region", DEFAULT_REGION)
        assert result.returncode == 0, result.stderr
        tables = markdown_tables(result.stdout)
        assert len(tables) == 2
        infra_readme = (project / "infra/README.md").read_text()
        for table in tables:
            assert table in infra_readme, f"infra/README.md's cost table differs from ops cost:\n{table}"
        if target == "ecs-fargate":
            assert f"~${price['nat_gateway_hour'] * HOURS:.0f}/month plus ${price['nat_gateway_gb']}/GB" in infra_readme
            endpoints = 5 * 2 * price["interface_endpoint_hour"] * HOURS
            assert f"costs about\n${endpoints:.0f}/month" in infra_readme
        assert f"cost ${price['public_ipv4_hour'] * HOURS:.2f} a\nmonth each" in infra_readme

        document = cost_json(rendered, project, "--all", "--region", DEFAULT_REGION, "--target", target)
        demo = estimate(document, target, "demo")
        readme = (project / "README.md").read_text()
        month, hour = re.search(r"costs ~\$(\d+) a month, ~\$(\d+\.\d\d) an hour", readme).groups()  # type: ignore[union-attr]
        assert (int(month), float(hour)) == (round(demo["monthly_usd"]), demo["hourly_usd"])
        if target == "ecs-fargate":
            assert f"~${demo['hourly_usd']:.2f} an hour while it exists" in infra_readme

        virginia = cost_json(rendered, project, "--all", "--region", "us-east-1", "--target", target)
        for environment in ENVIRONMENTS:
            monthly = estimate(document, target, environment)["monthly_usd"]
            tfvars = (project / "infra/terraform" / target / "envs" / f"{environment}.tfvars").read_text()
            stated = re.findall(r"^#.*~\$(\d+)/month", tfvars, re.MULTILINE)
            assert stated == [str(round(monthly))], f"{target} {environment}.tfvars states {stated}, ops cost {monthly}"
            budget = int(re.search(r"^monthly_budget_usd = (\d+)$", tfvars, re.MULTILINE).group(1))  # type: ignore[union-attr]
            assert budget == math.ceil(monthly / 5) * 5, f"{target} {environment}: budget {budget}, estimate {monthly}"
            assert estimate(document, target, environment)["monthly_budget_usd"] == budget
            assert estimate(virginia, target, environment)["monthly_usd"] <= budget


def test_make_cost_shows_every_environment_unless_env_is_given(rendered: Rendered) -> None:
    project = rendered.projects["ec2-all-in-one"]
    environment = {**offline_environment(project), "PATH": "/usr/bin:/bin"}
    every = subprocess.run(
        ["make", "--no-print-directory", "cost", f"OPS={rendered.ops}"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert every.returncode == 0, every.stderr
    assert "Side by side" in every.stdout
    assert every.stdout.split("Side by side", 1)[1].split("\n", 1)[0].split() == list(ENVIRONMENTS)
    one = subprocess.run(
        ["make", "--no-print-directory", "cost", "ENV=prod", f"OPS={rendered.ops}"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert one.returncode == 0, one.stderr
    assert one.stdout.split("Side by side", 1)[1].split("\n", 1)[0].split() == ["prod"]


def test_a_budget_below_the_estimate_is_pointed_out(rendered: Rendered, copy_of: Any) -> None:
    project = copy_of("ecs-fargate")
    edit(
        project / "infra/terraform/ecs-fargate/envs/prod.tfvars", "monthly_budget_usd = 340", "monthly_budget_usd = 100"
    )
    result = ops_cost(rendered, project, "--env", "prod")
    assert result.returncode == 0, result.stderr
    entry = estimate(cost_json(rendered, project, "--env", "prod"), "ecs-fargate", "prod")
    suggested = math.ceil(entry["monthly_usd"] / 5) * 5
    assert entry["suggested_budget_usd"] == suggested
    assert "ecs-fargate prod: monthly_budget_usd = 100 is below this estimate" in result.stdout
    assert f"{suggested} is the estimate rounded up to the next $5" in result.stdout
    untouched = ops_cost(rendered, rendered.projects["ecs-fargate"], "--env", "prod")
    assert "is below this estimate" not in untouched.stdout
