"""What an environment costs a month, per resource, from its tfvars and the committed price table.

No AWS access: the sizes come from the Terraform files (``envs/<env>.tfvars`` over the defaults in
``variables.tf``, the options in ``project.auto.tfvars``) and the prices from ``prices.json``. The
target this project was not generated with has no Terraform here; it is estimated from the settings
djaws ships for it (``reference_settings.json``), so both targets can be compared before either exists.

Each line below mirrors what the Terraform creates; a resource the settings leave out is a line
without an amount, so a reader sees it was considered.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ops.errors import UsageError
from ops.hcl import read_tfvars, variable_defaults
from ops.project import TARGETS, Project

PRICES_FILE = Path(__file__).with_name("prices.json")
REFERENCE_FILE = Path(__file__).with_name("reference_settings.json")
HOURS_PER_DAY = 24
# The load balancer sits in both public subnets (network.tf: two zones); each zone's node has an address.
ALB_ADDRESSES = 2
# Fargate runs X86_64 when a task definition names no architecture.
DEFAULT_ARCHITECTURE = "X86_64"
OPTIONS = ("enable_frontend", "enable_websocket", "enable_celery")
# The variables each target's cost depends on: the estimate reads these and nothing else.
COST_VARIABLES = {
    "ecs-fargate": (
        "task_layout",
        "packed_task_size",
        "service_sizes",
        "capacity_provider",
        "cpu_architecture",
        "enable_nat_gateway",
        "enable_flow_logs",
        "container_insights",
        "autoscaling_enabled",
        "autoscaling_max_count",
        "db_instance_class",
        "db_allocated_storage_gb",
        "db_max_allocated_storage_gb",
        "db_backup_retention_days",
        "db_multi_az",
        "redis",
        "cache_node_type",
        "cache_node_count",
        "cache_snapshot_retention_days",
        "log_retention_days",
        "ecr_keep_images",
    ),
    "ec2-all-in-one": (
        "instance_type",
        "root_volume_gb",
        "enable_flow_logs",
        "detailed_monitoring",
        "backup_expiry_days",
        "log_retention_days",
        "ecr_keep_images",
    ),
}
# Processes in the order the Terraform names them; the EC2 host also runs these containers.
PROCESSES = ("web", "websocket", "frontend", "worker", "beat")
HOST_CONTAINERS = ("nginx", "postgres", "redis")
# What cloudwatch.tf and dashboard.tf create besides the per-process alarms (ECS: 5xx at the load
# balancer and at the targets, p95 latency, database CPU, free storage and connections; EC2: CPU, two
# status checks, 5xx, p95 latency, memory, disk). tests/template/test_ops_cost.py counts them in the Terraform.
ECS_STACK_ALARMS = 6
# Without Celery, EventBridge Scheduler starts the periodic management commands as one-off tasks of the
# web family (scheduled_tasks.tf: purge hourly, retry every 15 minutes); tests/template/test_ops_cost.py
# reads the rates from that file. Scheduler's invocations stay within its free 14 million a month.
SCHEDULED_RUNS_PER_HOUR = 1 + 4
EC2_ALARMS = 7
EC2_LOG_METRIC_FILTERS = 3
DASHBOARDS = 1
NOT_INCLUDED = (
    "Not included: data transfer out beyond the free 100 GB a month, T-instance CPU credits above the baseline, "
    "requests to S3, KMS and Secrets Manager (cents), the free tier. Free: the budget (no actions), ACM "
    "certificates, saved log queries; no KMS key or Route 53 zone is created (AWS-managed keys; the zone is yours)."
)


@dataclass(frozen=True)
class Line:
    """One resource of the estimate; ``monthly`` is None when the settings leave the resource out."""

    key: str
    resource: str
    detail: str
    monthly: float | None


@dataclass(frozen=True)
class Estimate:
    """One environment of one target, priced."""

    target: str
    environment: str
    region: str
    source: str
    settings: dict[str, Any]
    lines: tuple[Line, ...]
    hours_per_month: int
    scaling_headroom: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    # monthly_budget_usd of the environment's tfvars (this project's target only).
    budget: float | None = None

    @property
    def monthly(self) -> float:
        return sum(line.monthly or 0.0 for line in self.lines)

    @property
    def hourly(self) -> float:
        return self.monthly / self.hours_per_month

    @property
    def daily(self) -> float:
        return self.hourly * HOURS_PER_DAY

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "environment": self.environment,
            "region": self.region,
            "source": self.source,
            "settings": self.settings,
            "lines": [
                {"key": line.key, "resource": line.resource, "detail": line.detail, "monthly_usd": cents(line.monthly)}
                for line in self.lines
            ],
            "monthly_usd": cents(self.monthly),
            "hourly_usd": cents(self.hourly),
            "daily_usd": cents(self.daily),
            "scaling_headroom_usd": cents(self.scaling_headroom),
            "monthly_budget_usd": self.budget,
            "suggested_budget_usd": budget(self.monthly),
            "notes": list(self.notes),
        }


def cents(amount: float | None) -> float | None:
    return None if amount is None else round(amount + 1e-9, 2)


def budget(monthly: float) -> int:
    """The monthly budget an environment's alarm should hold: its estimate rounded up to the next $5."""
    return int(math.ceil(round(monthly, 2) / 5) * 5)


class PriceTable:
    """The prices of one region from prices.json; a missing price is one line naming what is missing."""

    def __init__(self, region: str, path: Path = PRICES_FILE) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text())
        regions = self.document["regions"]
        if region not in regions:
            raise UsageError(
                f"no prices for {region} in {path.name} (it has {', '.join(sorted(regions))}); "
                f"add the region from the pages its sources name, or pass --region"
            )
        self.region = region
        self.prices: dict[str, Any] = regions[region]
        self.usage: dict[str, float] = self.document["usage"]

    @property
    def hours(self) -> int:
        return int(self.document["hours_per_month"])

    @property
    def spot_fraction(self) -> float:
        """Fargate Spot's price as a fraction of on demand (prices.json: a snapshot of a moving price)."""
        return float(self.document["fargate_spot"]["fraction_of_on_demand"])

    def __call__(self, name: str, kind: str | None = None) -> float:
        price = self.prices[name]
        if kind is None:
            return float(price)
        if kind not in price:
            raise UsageError(
                f"no {name} price for {kind} in {self.region} in {PRICES_FILE.name} "
                f"(it has {', '.join(sorted(price))}); add it from {self.document['sources'].get(name, 'AWS')}"
            )
        return float(price[kind])


@dataclass(frozen=True)
class Settings:
    """The resolved variables of one environment of one target, and where they were read."""

    target: str
    environment: str
    values: dict[str, Any]
    source: str

    def __getitem__(self, name: str) -> Any:
        if name not in self.values:
            raise UsageError(f"{name} has no value for {self.environment} in {self.source}")
        return self.values[name]

    def relevant(self) -> dict[str, Any]:
        return {name: self.values[name] for name in COST_VARIABLES[self.target] if name in self.values}

    @property
    def packed(self) -> bool:
        """task_layout = "packed": one task runs every process (variables.tf)."""
        return bool(self.values.get("task_layout") == "packed")

    @property
    def redis_container(self) -> bool:
        """redis = "container": Redis runs in the packed task instead of ElastiCache."""
        return bool(self.values.get("redis") == "container")

    @property
    def spot(self) -> bool:
        return bool(self.values.get("capacity_provider") == "FARGATE_SPOT")

    def services(self) -> int:
        """How many ECS services the layout creates."""
        return 1 if self.packed else len(self.running())

    def running(self) -> list[str]:
        """The processes the project runs, from its options."""
        enabled = {
            "web": True,
            "websocket": self["enable_websocket"],
            "frontend": self["enable_frontend"],
            "worker": self["enable_celery"],
            "beat": self["enable_celery"],
        }
        return [process for process in PROCESSES if enabled[process]]


class CostModel:
    """Reads one project's settings and prices every environment of either target."""

    def __init__(self, project: Project, region: str | None = None) -> None:
        self.project = project
        self.options = read_tfvars(project.stack_dir / "project.auto.tfvars")
        self.region = region or str(self.options["aws_region"])
        self.prices = PriceTable(self.region)

    @cached_property
    def reference(self) -> dict[str, Any]:
        return dict(json.loads(REFERENCE_FILE.read_text())["targets"])

    def settings(self, target: str, environment: str) -> Settings:
        self.project.check_environment(environment)
        if target == self.project.target:
            return self.own_settings(environment)
        values = self.reference[target]["environments"].get(environment)
        if values is None:
            raise UsageError(f"{REFERENCE_FILE.name} has no {target} settings for {environment}")
        source = f"djaws's settings for {environment} ({REFERENCE_FILE.name}): this project has no {target} Terraform"
        return Settings(target, environment, {**values, **self.options}, source)

    def own_settings(self, environment: str) -> Settings:
        stack = self.project.stack_dir
        tfvars = stack / "envs" / f"{environment}.tfvars"
        if not tfvars.is_file():
            raise UsageError(f"{tfvars.relative_to(self.project.root)} does not exist")
        values = {**variable_defaults(stack / "variables.tf"), **self.options, **read_tfvars(tfvars)}
        if self.project.target == "ecs-fargate":
            values["cpu_architecture"] = task_architecture(stack, values)
        source = f"{tfvars.relative_to(self.project.root)} and the defaults in variables.tf"
        return Settings(self.project.target, environment, values, source)

    def estimate(self, target: str, environment: str) -> Estimate:
        settings = self.settings(target, environment)
        price = self.prices
        if target == "ecs-fargate":
            lines, headroom = ecs_lines(settings, price), ecs_scaling_headroom(settings, price)
        else:
            lines, headroom = ec2_lines(settings, price), 0.0
        notes = [NOT_INCLUDED]
        if headroom:
            notes.insert(0, f"Autoscaling can add up to ${headroom:,.2f} a month at its maximum task counts.")
        if target == "ecs-fargate" and settings.spot:
            notes.insert(0, spot_note(lines, price))
        monthly_budget = settings.values.get("monthly_budget_usd") if target == self.project.target else None
        lines_total = sum(line.monthly or 0.0 for line in lines)
        if monthly_budget is not None and monthly_budget < round(lines_total, 2):
            notes.insert(
                0,
                f"monthly_budget_usd = {monthly_budget:g} is below this estimate: the budget would warn every month; "
                f"{budget(lines_total)} is the estimate rounded up to the next $5.",
            )
        return Estimate(
            target,
            environment,
            self.region,
            settings.source,
            settings.relevant(),
            tuple(lines),
            price.hours,
            headroom,
            tuple(notes),
            monthly_budget,
        )


def task_architecture(stack: Path, values: dict[str, Any]) -> str:
    """The CPU architecture the task definitions ask for: a literal or a variable in the stack's files."""
    for path in sorted(stack.glob("*.tf")):
        match = re.search(r'^\s*cpu_architecture\s*=\s*(?:"(\w+)"|var\.(\w+))', path.read_text(), re.MULTILINE)
        if match:
            return match.group(1) or str(values[match.group(2)])
    return DEFAULT_ARCHITECTURE


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def gigabytes(memory_mib: float) -> float:
    return memory_mib / 1024


def task_monthly(size: dict[str, Any], architecture: str, price: PriceTable) -> float:
    """One Fargate task of this size for a month."""
    rate = price.prices["fargate"].get(architecture)
    if rate is None:
        raise UsageError(f"no Fargate price for {architecture} in {price.region} in {PRICES_FILE.name}")
    hourly = size["cpu"] / 1024 * rate["vcpu_hour"] + gigabytes(size["memory"]) * rate["gb_hour"]
    return float(hourly * price.hours)


def logs_line(sources: dict[str, float], retention_days: int, price: PriceTable) -> Line:
    """CloudWatch Logs: what the sources send a month, and what the retention keeps stored."""
    ingested = sum(sources.values())
    stored = ingested * retention_days / 30
    monthly = ingested * price("logs_ingest_gb") + stored * price("logs_store_gb_month")
    parts = ", ".join(f"{name} {amount:g} GB" for name, amount in sources.items())
    return Line(
        "logs", "CloudWatch Logs", f"{ingested:g} GB in ({parts}), kept {plural(retention_days, 'day')}", monthly
    )


def ecs_lines(settings: Settings, price: PriceTable) -> list[Line]:
    hours, usage = price.hours, price.usage
    running = settings.running()
    sizes = settings["service_sizes"]
    architecture = settings["cpu_architecture"]
    nat = bool(settings["enable_nat_gateway"])
    rate = price.spot_fraction if settings.spot else 1.0
    billing = f"{architecture.lower()}, {'Spot' if settings.spot else 'on demand'}"
    lines = []
    for process in PROCESSES:
        if process not in running:
            lines.append(Line(f"fargate_{process}", f"Fargate: {process}", "not in this project", None))
            continue
        if settings.packed:
            lines.append(Line(f"fargate_{process}", f"Fargate: {process}", "a container of the packed task", None))
            continue
        size = sizes[process]
        detail = f"{size['desired_count']} x {size['cpu'] / 1024:g} vCPU / {gigabytes(size['memory']):g} GB, {billing}"
        amount = size["desired_count"] * task_monthly(size, architecture, price) * rate
        lines.append(Line(f"fargate_{process}", f"Fargate: {process}", detail, amount))
    if settings.packed:
        size = settings["packed_task_size"]
        containers = len(running) + (1 if settings.redis_container else 0)
        detail = (
            f"1 x {size['cpu'] / 1024:g} vCPU / {gigabytes(size['memory']):g} GB, {containers} containers, {billing}"
        )
        lines.append(
            Line("fargate_packed", "Fargate: packed task", detail, task_monthly(size, architecture, price) * rate)
        )
    else:
        lines.append(Line("fargate_packed", "Fargate: packed task", "task_layout = per-process", None))

    lines.append(scheduled_tasks_line(settings, price, rate))

    tasks = 1 if settings.packed else sum(sizes[process]["desired_count"] for process in running)
    task_addresses = 0 if nat else tasks
    addresses = task_addresses + ALB_ADDRESSES + (1 if nat else 0)
    address_detail = f"{task_addresses} tasks + {ALB_ADDRESSES} load balancer + {1 if nat else 0} NAT gateway"
    lines.append(
        Line("public_ipv4", "Public IPv4 addresses", address_detail, addresses * price("public_ipv4_hour") * hours)
    )

    lcu = usage["alb_lcu"]
    alb = (price("alb_hour") + lcu * price("alb_lcu_hour")) * hours
    lines.append(Line("load_balancer", "Load balancer", f"hours + {lcu:g} LCU", alb))

    if nat:
        data = usage["nat_gateway_gb_month"]
        amount = price("nat_gateway_hour") * hours + data * price("nat_gateway_gb")
        lines.append(Line("nat_gateway", "NAT gateway", f"hours + {data:g} GB processed", amount))
    else:
        lines.append(Line("nat_gateway", "NAT gateway", "enable_nat_gateway = false: tasks get public addresses", None))

    copies = 2 if settings["db_multi_az"] else 1
    instance_class = settings["db_instance_class"]
    placement = "Multi-AZ" if copies == 2 else "single-AZ"
    lines.append(
        Line(
            "rds_instance",
            "RDS PostgreSQL instance",
            f"{instance_class}, {placement}",
            copies * price("rds_postgres_hour", instance_class) * hours,
        )
    )
    storage = settings["db_allocated_storage_gb"]
    lines.append(
        Line(
            "rds_storage",
            "RDS storage",
            f"{storage} GB gp3 x {copies} (grows up to {settings['db_max_allocated_storage_gb']} GB)",
            copies * storage * price("rds_gp3_gb_month"),
        )
    )
    retention = settings["db_backup_retention_days"]
    backups = usage["database_gb"] + retention * usage["database_daily_change_gb"]
    beyond = max(0.0, backups - storage)
    lines.append(
        Line(
            "rds_backups",
            "RDS backups",
            f"≈{backups:g} GB for {plural(retention, 'day')}; free up to {storage} GB",
            beyond * price("rds_backup_gb_month"),
        )
    )

    node_type, nodes = settings["cache_node_type"], settings["cache_node_count"]
    if settings.redis_container:
        lines.append(Line("elasticache", "ElastiCache Redis", "redis = container: in the packed task", None))
    else:
        lines.append(
            Line(
                "elasticache",
                "ElastiCache Redis",
                f"{nodes} x {node_type}",
                nodes * price("elasticache_node_hour", node_type) * hours,
            )
        )
    snapshot_days = settings["cache_snapshot_retention_days"]
    if settings.redis_container:
        lines.append(Line("elasticache_snapshots", "ElastiCache snapshots", "no ElastiCache", None))
    elif snapshot_days:
        snapshots = max(0, snapshot_days - 1) * usage["redis_snapshot_gb"]
        amount = snapshots * price("elasticache_snapshot_gb_month")
        lines.append(Line("elasticache_snapshots", "ElastiCache snapshots", f"{snapshot_days} daily, one free", amount))
    else:
        lines.append(Line("elasticache_snapshots", "ElastiCache snapshots", "cache_snapshot_retention_days = 0", None))

    # Each process (and a Redis container) writes its own log stream, however the tasks are laid out.
    streams = len(running) + (1 if settings.redis_container else 0) if settings.packed else tasks
    label = f"{streams} containers" if settings.packed else f"{tasks} tasks"
    sources = {label: streams * usage["log_gb_per_process_month"], "RDS": usage["rds_log_gb_month"]}
    if settings["enable_flow_logs"]:
        sources["flow logs"] = usage["flow_log_gb_month"]
    lines.append(logs_line(sources, settings["log_retention_days"], price))

    lines.append(ecs_alarms(settings, running, price))
    lines.append(dashboard_line(price))
    if settings["container_insights"]:
        metrics = (
            usage["container_insights_metrics_per_cluster"]
            + usage["container_insights_metrics_per_service"] * settings.services()
        )
        amount = metrics * price("metric_month")
        lines.append(Line("container_insights", "Container Insights", f"≈{metrics:g} metrics", amount))
    else:
        lines.append(Line("container_insights", "Container Insights", "container_insights = false", None))

    lines.append(
        Line(
            "secrets", "Secrets Manager", "3 secrets: SECRET_KEY, readiness token, database", 3 * price("secret_month")
        )
    )
    lines.append(Line("s3", "S3 media bucket", f"≈{usage['media_gb']:g} GB", usage["media_gb"] * price("s3_gb_month")))
    lines.append(ecr_line(settings, price))
    return lines


def scheduled_tasks_line(settings: Settings, price: PriceTable, rate: float) -> Line:
    """The periodic management commands' one-off tasks (no Celery): web-sized, billed a minute or more each,
    with a public address for that time unless the tasks sit behind the NAT gateway."""
    key, label = "scheduled_tasks", "Fargate: scheduled commands"
    if settings["enable_celery"]:
        return Line(key, label, "beat runs them in the worker", None)
    runs = SCHEDULED_RUNS_PER_HOUR * price.hours
    task_hours = runs * price.usage["scheduled_task_minutes"] / 60
    size = settings["service_sizes"]["web"]
    amount = task_hours * task_monthly(size, settings["cpu_architecture"], price) / price.hours * rate
    if not settings["enable_nat_gateway"]:
        amount += task_hours * price("public_ipv4_hour")
    detail = f"{runs:,} runs x {price.usage['scheduled_task_minutes']:g} min, {size['cpu'] / 1024:g} vCPU"
    return Line(key, label, detail, amount)


def ecs_alarms(settings: Settings, running: list[str], price: PriceTable) -> Line:
    """The alarms cloudwatch.tf creates, plus the two each target-tracking policy makes."""
    load_balanced = [process for process in running if process in ("web", "websocket", "frontend")]
    # Unhealthy hosts per target group; CPU and memory per ECS service (one when packed); without
    # Celery, runs Scheduler drops (scheduled_tasks.tf).
    alarms = ECS_STACK_ALARMS + len(load_balanced) + 2 * settings.services() + (0 if settings["enable_celery"] else 1)
    if settings["autoscaling_enabled"]:
        scaled = [process for process in running if process != "beat"]
        request_scaled = [process for process in scaled if process in ("web", "frontend")]
        alarms += 2 * (len(scaled) + len(request_scaled))
    return Line("alarms", "CloudWatch alarms", f"{alarms} alarms", alarms * price("alarm_month"))


def dashboard_line(price: PriceTable) -> Line:
    return Line("dashboards", "CloudWatch dashboard", f"{DASHBOARDS} dashboard", DASHBOARDS * price("dashboard_month"))


def spot_note(lines: list[Line], price: PriceTable) -> str:
    """Spot's price moves: what the estimate assumes, and what Fargate costs at Spot's smallest discount."""
    fargate = sum(line.monthly or 0.0 for line in lines if line.key.startswith("fargate_"))
    spot = price.document["fargate_spot"]
    worst = fargate / price.spot_fraction * spot["highest_fraction_seen"]
    return (
        f"Fargate Spot is priced at {price.spot_fraction:.0%} of on demand ({PRICES_FILE.name}); its price moves with "
        f"AWS's spare capacity: at {spot['highest_fraction_seen']:.0%} Fargate would cost ${worst:,.2f} instead of "
        f"${fargate:,.2f} a month."
    )


def ecs_scaling_headroom(settings: Settings, price: PriceTable) -> float:
    """What the tasks autoscaling may add cost a month at its maximum (estimates use the minimum)."""
    if not settings["autoscaling_enabled"]:
        return 0.0
    sizes, architecture = settings["service_sizes"], settings["cpu_architecture"]
    address = 0.0 if settings["enable_nat_gateway"] else price("public_ipv4_hour") * price.hours
    extra = 0.0
    for process in settings.running():
        if process == "beat":
            continue
        size = sizes[process]
        added = max(settings["autoscaling_max_count"], size["desired_count"]) - size["desired_count"]
        extra += added * (task_monthly(size, architecture, price) + address)
    return extra


def ecr_line(settings: Settings, price: PriceTable) -> Line:
    repositories = 2 if settings["enable_frontend"] else 1
    kept = settings["ecr_keep_images"]
    stored = repositories * kept * price.usage["image_gb"]
    detail = f"{repositories} repositories x {kept} images kept ≈ {stored:g} GB"
    return Line("ecr", "ECR images", detail, stored * price("ecr_gb_month"))


def ec2_lines(settings: Settings, price: PriceTable) -> list[Line]:
    hours, usage = price.hours, price.usage
    instance_type = settings["instance_type"]
    volume = settings["root_volume_gb"]
    lines = [
        Line("ec2_instance", "EC2 instance", instance_type, price("ec2_hour", instance_type) * hours),
        Line("ebs_volume", "EBS root volume", f"{volume} GB gp3", volume * price("ebs_gp3_gb_month")),
        Line("public_ipv4", "Public IPv4 addresses", "1 Elastic IP", price("public_ipv4_hour") * hours),
    ]
    containers = len(settings.running()) + len(HOST_CONTAINERS)
    sources = {f"{containers} containers": containers * usage["log_gb_per_process_month"]}
    if settings["enable_flow_logs"]:
        sources["flow logs"] = usage["flow_log_gb_month"]
    lines.append(logs_line(sources, settings["log_retention_days"], price))
    lines.append(Line("alarms", "CloudWatch alarms", f"{EC2_ALARMS} alarms", EC2_ALARMS * price("alarm_month")))
    lines.append(dashboard_line(price))
    metrics = EC2_LOG_METRIC_FILTERS + usage["cloudwatch_agent_metrics"]
    detail = f"{EC2_LOG_METRIC_FILTERS} from request log lines + ≈{usage['cloudwatch_agent_metrics']:g} from the agent"
    lines.append(Line("custom_metrics", "CloudWatch custom metrics", detail, metrics * price("metric_month")))
    if settings["detailed_monitoring"]:
        metrics = usage["detailed_monitoring_metrics"]
        amount = metrics * price("metric_month")
        lines.append(Line("detailed_monitoring", "Detailed monitoring", f"{metrics:g} metrics", amount))
    else:
        lines.append(Line("detailed_monitoring", "Detailed monitoring", "detailed_monitoring = false", None))
    lines.append(
        Line(
            "secrets",
            "Secrets Manager",
            "3 secrets: SECRET_KEY, database password, readiness token",
            3 * price("secret_month"),
        )
    )
    dumps = settings["backup_expiry_days"] * usage["database_dump_gb"]
    stored = usage["media_gb"] + dumps
    detail = f"≈{usage['media_gb']:g} GB media + {dumps:g} GB nightly dumps"
    lines.append(Line("s3", "S3 media bucket", detail, stored * price("s3_gb_month")))
    lines.append(ecr_line(settings, price))
    return lines


def targets_for(project: Project, target: str | None) -> tuple[str, ...]:
    """The targets to show: one when asked for, else both with the project's own first."""
    if target is not None:
        return (target,)
    return (project.target, *(other for other in TARGETS if other != project.target))
