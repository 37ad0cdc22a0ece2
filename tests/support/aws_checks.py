"""boto3 look-ups the apply tests share: what is left of a project in the emulator, name limits."""

from __future__ import annotations

from typing import Any

from support.emulator import Emulator

# The longest name each AWS service accepts, for the kinds the stacks create.
AWS_NAME_LIMITS = {
    "alb": 32,
    "target_group_web": 32,
    "target_group_frontend": 32,
    "target_group_websocket": 32,
    "media_bucket": 63,
    "rds_instance": 63,
    "elasticache_group": 40,
    "iam_execution_role": 64,
    "iam_task_role": 64,
    "iam_instance_role": 64,
    "iam_flow_logs_role": 64,
    "db_subnet_group": 255,
    "db_parameter_group": 255,
    "cache_subnet_group": 255,
    "ecs_cluster": 255,
    "ecs_service_web": 255,
    "security_group_alb": 255,
    "security_group_host": 255,
    "alarm_topic": 256,
    "ecr_backend": 256,
    "secret_django_key": 512,
    "log_group_prefix": 512,
    "dashboard": 255,
    "budget": 100,
    "metric_namespace": 255,
}


def tagged_project_resources(emulator: Emulator, resource_prefix: str) -> list[str]:
    """ARNs of everything tagged with the project (the stacks tag all they create)."""
    client = emulator.client("resourcegroupstaggingapi")
    arns: list[str] = []
    token = ""
    while True:
        page = client.get_resources(TagFilters=[{"Key": "Project", "Values": [resource_prefix]}], PaginationToken=token)
        arns += [entry["ResourceARN"] for entry in page["ResourceTagMappingList"]]
        token = page.get("PaginationToken", "")
        if not token:
            return arns


def security_group_rules(emulator: Emulator, group_name: str) -> list[dict[str, Any]]:
    """Every rule of the security group with this name."""
    ec2 = emulator.client("ec2")
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [group_name]}])["SecurityGroups"]
    assert len(groups) == 1, f"expected one security group named {group_name}, found {len(groups)}"
    group_id = groups[0]["GroupId"]
    return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]


def group_id(emulator: Emulator, group_name: str) -> str:
    """ID of the security group with this name."""
    groups = emulator.client("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [group_name]}])[
        "SecurityGroups"
    ]
    return str(groups[0]["GroupId"])


def log_group_retention(emulator: Emulator, prefix: str) -> dict[str, int | None]:
    """Retention in days of every log group under a prefix."""
    groups = emulator.client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    return {group["logGroupName"]: group.get("retentionInDays") for group in groups}


def secret_names(emulator: Emulator) -> set[str]:
    """Names of every secret in the emulator."""
    return {secret["Name"] for secret in emulator.client("secretsmanager").list_secrets()["SecretList"]}


def role_exists(emulator: Emulator, role_name: str) -> bool:
    """Whether an IAM role with this name exists."""
    iam = emulator.client("iam")
    try:
        iam.get_role(RoleName=role_name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def bucket_exists(emulator: Emulator, bucket: str) -> bool:
    """Whether an S3 bucket with this name exists."""
    return bucket in {entry["Name"] for entry in emulator.client("s3").list_buckets()["Buckets"]}
