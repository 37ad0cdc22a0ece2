"""The one source of truth for every name a djaws project uses.

Makefile, Terraform, workflows and the ops CLI all read the names computed here (rendered into
``infra/names.json``); nothing re-derives them by hand. The seed project broke on exactly that:
``test_workflow_v4`` in one file, ``test-workflow-v4`` in another, and bucket names AWS rejects.

Resource names follow ``{prefix}-{kind}-{env}``. A name longer than its service allows keeps its
kind and environment and shortens the prefix to ``{head}-{hash}``, where the hash is taken over the
whole prefix, so two long project names that share a beginning still get different names.

This module must stay standard-library only: the cookiecutter template imports it by path.
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

ENVIRONMENTS: tuple[str, ...] = ("demo", "dev", "stg", "prod")
MAX_PROJECT_NAME_LENGTH = 100
HASH_LENGTH = 6

# Prefixes S3 reserves for its own bucket types; a bucket named after them is rejected.
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")


class NamingError(ValueError):
    """A project name from which no valid set of AWS names can be built."""


@dataclass(frozen=True)
class ResourceKind:
    """One kind of AWS resource: the word in its name and the length its service allows."""

    key: str
    word: str
    max_length: int
    per_environment: bool = True


# key (as used in Terraform, Jinja and the ops CLI) -> how the name is built and how long it may be.
RESOURCE_KINDS: tuple[ResourceKind, ...] = (
    # Load balancing: ALB and target group names are limited to 32 characters.
    ResourceKind("alb", "alb", 32),
    ResourceKind("target_group_web", "web-tg", 32),
    ResourceKind("target_group_frontend", "frontend-tg", 32),
    ResourceKind("target_group_websocket", "ws-tg", 32),
    # Storage: S3 buckets 3-63 characters.
    ResourceKind("media_bucket", "media", 63),
    ResourceKind("state_bucket", "tfstate", 63, per_environment=False),
    # Container images and services.
    ResourceKind("ecr_backend", "backend", 256),
    ResourceKind("ecr_frontend", "frontend", 256),
    ResourceKind("ecs_cluster", "cluster", 255),
    ResourceKind("ecs_service_web", "web", 255),
    ResourceKind("ecs_service_websocket", "ws", 255),
    ResourceKind("ecs_service_frontend", "frontend", 255),
    ResourceKind("ecs_service_worker", "worker", 255),
    ResourceKind("ecs_service_beat", "beat", 255),
    # The packed layout (task_layout = "packed"): one service whose task runs every process.
    ResourceKind("ecs_service_app", "app", 255),
    # Identity: IAM role names up to 64 characters.
    ResourceKind("iam_execution_role", "ecs-execution", 64),
    ResourceKind("iam_task_role", "ecs-task", 64),
    ResourceKind("iam_instance_role", "ec2-instance", 64),
    ResourceKind("iam_flow_logs_role", "vpc-flow-logs", 64),
    # EventBridge Scheduler starts the periodic management commands as ECS tasks (ECS without Celery).
    ResourceKind("iam_scheduler_role", "ecs-scheduler", 64),
    ResourceKind("iam_deploy_role", "github-deploy", 64, per_environment=False),
    ResourceKind("iam_infra_role", "github-infra", 64, per_environment=False),
    # Data: RDS identifiers up to 63, ElastiCache replication groups up to 40.
    ResourceKind("rds_instance", "db", 63),
    ResourceKind("db_subnet_group", "db-subnets", 255),
    ResourceKind("db_parameter_group", "db-params", 255),
    ResourceKind("elasticache_group", "redis", 40),
    ResourceKind("cache_subnet_group", "cache-subnets", 255),
    # Network and compute.
    ResourceKind("vpc", "vpc", 255),
    ResourceKind("security_group_alb", "alb-sg", 255),
    ResourceKind("security_group_app", "app-sg", 255),
    ResourceKind("security_group_db", "db-sg", 255),
    ResourceKind("security_group_redis", "redis-sg", 255),
    ResourceKind("security_group_host", "host-sg", 255),
    ResourceKind("ec2_instance", "host", 255),
    # Observability and secrets.
    ResourceKind("log_group_prefix", "logs", 512),
    ResourceKind("alarm_topic", "alarms", 256),
    # Dashboard names: letters, digits, - and _, up to 255; saved Logs Insights queries sit in a folder of that name.
    ResourceKind("dashboard", "dashboard", 255),
    # EventBridge Scheduler schedule groups: 1-64 letters, digits, '.', '_' and '-'.
    ResourceKind("scheduler_group", "schedules", 64),
    # Budget names up to 100 characters.
    ResourceKind("budget", "budget", 100),
    # The CloudWatch agent's namespace on the EC2 host (memory and disk) and the log metric filters'.
    ResourceKind("metric_namespace", "metrics", 255),
    ResourceKind("secret_django_key", "django-secret-key", 512),
    ResourceKind("secret_db_password", "db-password", 512),
    # Shows readiness checks' error text to requests carrying it (X-Readiness-Token).
    ResourceKind("secret_readiness_token", "readiness-token", 512),
    # The EC2 host's TLS certificate and key behind Cloudflare (tls_mode = "cloudflare").
    ResourceKind("secret_tls_certificate", "tls-certificate", 512),
)

_KINDS_BY_KEY = {kind.key: kind for kind in RESOURCE_KINDS}


# Latin letters that Unicode decomposition does not reduce to ASCII.
_TRANSLITERATIONS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
    }
)


def _ascii_words(project_name: str) -> list[str]:
    """Transliterate to ASCII (drop accents, drop what has no Latin form) and split into words."""
    decomposed = unicodedata.normalize("NFKD", project_name.translate(_TRANSLITERATIONS))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    # camelCase -> camel Case so "AcmeShop" becomes acme-shop rather than acmeshop.
    ascii_text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", ascii_text)
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def validate_project_name(project_name: str) -> list[str]:
    """Return the ASCII words of a usable project name, or raise NamingError saying why not."""
    if not isinstance(project_name, str) or not project_name.strip():
        raise NamingError("project name is empty")
    if len(project_name) > MAX_PROJECT_NAME_LENGTH:
        raise NamingError(
            f"project name is {len(project_name)} characters long; the limit is {MAX_PROJECT_NAME_LENGTH}"
        )
    if any(unicodedata.category(char) == "Cc" for char in project_name):
        raise NamingError("project name contains control characters")
    words = _ascii_words(project_name)
    if not words:
        raise NamingError(
            f"project name {project_name!r} has no Latin letters or digits to build names from; "
            "use a name such as 'acme-shop'"
        )
    if not words[0][0].isalpha():
        raise NamingError(
            f"project name {project_name!r} must start with a letter (AWS database and cache identifiers must)"
        )
    prefix = "-".join(words)
    for reserved in RESERVED_BUCKET_PREFIXES:
        if f"{prefix}-".startswith(reserved):
            raise NamingError(f"project name must not start with {reserved!r}: S3 reserves it for its own buckets")
    slug = "_".join(words)
    if keyword.iskeyword(slug):
        raise NamingError(f"project name {project_name!r} is a Python keyword; choose another")
    return words


def project_slug(project_name: str) -> str:
    """snake_case, Python-safe: the project directory and the database name."""
    return "_".join(validate_project_name(project_name))


def resource_prefix(project_name: str) -> str:
    """kebab-case: the start of every AWS resource name."""
    return "-".join(validate_project_name(project_name))


def short_hash(text: str) -> str:
    """A short, stable hash that keeps truncated names unique."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def fit_prefix(prefix: str, budget: int, separator: str = "-") -> str:
    """Shorten a prefix to at most ``budget`` characters as ``{head}-{hash}``; unchanged if it fits."""
    if len(prefix) <= budget:
        return prefix
    head_length = budget - HASH_LENGTH - len(separator)
    if head_length < 1:
        raise NamingError(f"no room for a project prefix in {budget} characters")
    head = prefix[:head_length].rstrip(separator)
    return f"{head}{separator}{short_hash(prefix)}"


def resource_name(prefix: str, kind_key: str, environment: str | None = None) -> str:
    """The AWS name for one resource kind (and environment, when the kind is per environment)."""
    kind = _KINDS_BY_KEY[kind_key]
    if kind.per_environment:
        if environment not in ENVIRONMENTS:
            raise NamingError(f"unknown environment {environment!r}; expected one of {', '.join(ENVIRONMENTS)}")
        suffix = f"-{kind.word}-{environment}"
    else:
        suffix = f"-{kind.word}"
    if kind.key == "log_group_prefix":
        # Log groups form a hierarchy, /{prefix}/{env}/{service}, so one IAM statement covers an environment.
        return f"/{fit_prefix(prefix, kind.max_length - len(environment or '') - 2 - 32)}/{environment}"
    return fit_prefix(prefix, kind.max_length - len(suffix)) + suffix


def database_name(slug: str) -> str:
    """PostgreSQL database name: letters, digits, underscores, at most 63 characters."""
    return fit_prefix(slug, 63, separator="_")


@dataclass(frozen=True)
class ProjectNames:
    """Every name derived from one project name."""

    project_name: str
    project_slug: str
    resource_prefix: str

    @property
    def database_name(self) -> str:
        return database_name(self.project_slug)

    def for_environment(self, environment: str) -> dict[str, str]:
        """All per-environment resource names, keyed by kind."""
        return {
            kind.key: resource_name(self.resource_prefix, kind.key, environment)
            for kind in RESOURCE_KINDS
            if kind.per_environment
        }

    def shared(self) -> dict[str, str]:
        """Names of the resources one project shares across environments (state bucket, GitHub roles)."""
        return {
            kind.key: resource_name(self.resource_prefix, kind.key)
            for kind in RESOURCE_KINDS
            if not kind.per_environment
        }

    def as_dict(self) -> dict[str, Any]:
        """The structure rendered into ``infra/names.json``."""
        return {
            "project_name": self.project_name,
            "project_slug": self.project_slug,
            "resource_prefix": self.resource_prefix,
            "database_name": self.database_name,
            "shared": self.shared(),
            "environments": {env: self.for_environment(env) for env in ENVIRONMENTS},
        }


def derive_names(project_name: str) -> ProjectNames:
    """Validate a project name and derive its slug and prefix."""
    words = validate_project_name(project_name)
    return ProjectNames(
        project_name=project_name.strip(),
        project_slug="_".join(words),
        resource_prefix="-".join(words),
    )
