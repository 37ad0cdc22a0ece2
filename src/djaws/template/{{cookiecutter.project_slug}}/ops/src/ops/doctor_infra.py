"""``ops doctor``'s checks of each environment's Terraform settings and of the AWS account.

Terraform: every environment's ``envs/ENV.tfvars`` and ``envs/ENV.s3.tfbackend`` name this
project's environment, state bucket, key and region (infra/names.json), and hold a real domain,
certificate and alarm address. AWS (boto3, so ``AWS_ENDPOINT_URL`` and profiles apply as for every
command): whose credentials these are, and whether the bootstrap stack's state bucket and GitHub
roles exist, which ``make init`` creates.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ops.doctor import Finding, ok, problem
from ops.doctor_settings import REGION, valid_host
from ops.project import Project

TERRAFORM_GROUP = "terraform"
AWS_GROUP = "aws"
STRING_SETTING = re.compile(r'^\s*([a-z_][a-z0-9_]*)\s*=\s*"([^"]*)"', re.MULTILINE)
EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}$", re.I)
# Domains that never receive mail (RFC 2606 and RFC 6761): the address is a placeholder.
PLACEHOLDER_DOMAIN = re.compile(r"(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$", re.I)
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]+$")
# Doctor answers in seconds, even when AWS does not: one retry, short timeouts.
QUICK = Config(connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 2})


def string_settings(path: Path) -> dict[str, str]:
    """The ``name = "text"`` settings of a tfvars or backend file (the only kind doctor reads)."""
    return dict(STRING_SETTING.findall(path.read_text())) if path.is_file() else {}


def project_region(project: Project) -> str:
    """The region every environment lives in: project.auto.tfvars, which djaws rendered."""
    return string_settings(project.stack_dir / "project.auto.tfvars").get("aws_region", "")


def check_region(project: Project) -> list[Finding]:
    region = project_region(project)
    shown = f"infra/terraform/{project.target}/project.auto.tfvars"
    if not REGION.match(region):
        return [
            problem(
                TERRAFORM_GROUP, f"aws_region {region!r} in {shown} is not a region", "write it like ap-northeast-2"
            )
        ]
    return [ok(TERRAFORM_GROUP, f"region {region}")]


def check_backend(project: Project, environment: str) -> list[Finding]:
    """ENV's state lives in this project's bucket, under its own key, in the project's region."""
    shown = f"envs/{environment}.s3.tfbackend"
    settings = string_settings(project.stack_dir / "envs" / f"{environment}.s3.tfbackend")
    expected = {
        "bucket": project.shared_names["state_bucket"],
        "key": f"{project.resource_prefix}/{environment}/terraform.tfstate",
        "region": project_region(project),
    }
    findings = [
        problem(
            TERRAFORM_GROUP,
            f"{shown} has {name} = {settings.get(name, '(none)')!r}, not this project's {value!r}",
            f'set {name} = "{value}" (infra/names.json names it)',
        )
        for name, value in expected.items()
        if settings.get(name) != value
    ]
    return findings or [ok(TERRAFORM_GROUP, f"{environment}: state at s3://{expected['bucket']}/{expected['key']}")]


def check_tfvars(project: Project, environment: str) -> list[Finding]:
    """ENV's settings name ENV, a real domain and certificate if any, and an alarm address that gets mail."""
    shown = f"envs/{environment}.tfvars"
    settings = string_settings(project.stack_dir / "envs" / f"{environment}.tfvars")
    findings = []
    if settings.get("environment") != environment:
        findings.append(
            problem(
                TERRAFORM_GROUP,
                f"{shown} has environment = {settings.get('environment')!r}",
                f'set environment = "{environment}"',
            )
        )
    domain = settings.get("domain_name", "")
    if domain and not valid_host(domain):
        findings.append(
            problem(
                TERRAFORM_GROUP,
                f"domain_name {domain!r} in {shown} is not a host name",
                "write it like shop.example.com",
            )
        )
    certificate = settings.get("certificate_arn", "")
    match = CERTIFICATE_ARN.match(certificate)
    if certificate and (not match or match[1] != project_region(project)):
        findings.append(
            problem(
                TERRAFORM_GROUP,
                f"certificate_arn in {shown} is not an ACM certificate in {project_region(project)}",
                "request the certificate in the project's region (the load balancer's) and paste its ARN",
            )
        )
    findings += check_alarm_email(settings.get("alarm_email", ""), shown, environment)
    return findings or [ok(TERRAFORM_GROUP, f"{environment}: {shown} is complete")]


def check_alarm_email(address: str, shown: str, environment: str) -> list[Finding]:
    fix = f'set alarm_email = "you@yourcompany.com" in {shown}, then make infra-apply ENV={environment}'
    if not address:
        return [problem(TERRAFORM_GROUP, f"{environment}: alarm_email is empty: alarms reach nobody", fix)]
    if not EMAIL.match(address):
        return [problem(TERRAFORM_GROUP, f"{environment}: alarm_email {address!r} is not an e-mail address", fix)]
    if PLACEHOLDER_DOMAIN.search(address.rsplit("@", 1)[1]):
        return [
            problem(TERRAFORM_GROUP, f"{environment}: alarm_email {address} is a placeholder: alarms reach nobody", fix)
        ]
    return []


def check_terraform_settings(project: Project, environments: list[str]) -> list[Finding]:
    findings = check_region(project)
    for environment in environments:
        findings += check_backend(project, environment)
        findings += check_tfvars(project, environment)
    return findings


# --- AWS -------------------------------------------------------------------------------------------


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def check_aws(project: Project) -> list[Finding]:
    """Credentials that work, then the bootstrap stack's bucket and roles (skipped when AWS cannot be asked)."""
    region = project_region(project)
    session = boto3.session.Session(region_name=region or None)
    clients: dict[str, Any] = {name: session.client(name, config=QUICK) for name in ("sts", "s3", "iam")}
    try:
        identity = clients["sts"].get_caller_identity()
    except NoCredentialsError:
        return [problem(AWS_GROUP, "no AWS credentials", "aws configure sso (or set AWS_PROFILE), then aws sso login")]
    except ClientError as error:
        return [
            problem(
                AWS_GROUP, f"AWS refused the credentials ({error_code(error)})", "aws sso login (or set AWS_PROFILE)"
            )
        ]
    except BotoCoreError as error:
        return [problem(AWS_GROUP, f"AWS is unreachable: {error}", "check the network, proxy and AWS_ENDPOINT_URL")]
    findings = [ok(AWS_GROUP, f"account {identity['Account']} as {identity['Arn']}")]
    findings += check_state_bucket(clients["s3"], project, region)
    findings += check_roles(clients["iam"], project)
    return findings


def check_state_bucket(s3: Any, project: Project, region: str) -> list[Finding]:
    bucket = project.shared_names["state_bucket"]
    try:
        s3.head_bucket(Bucket=bucket)
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    except ClientError as error:
        if error_code(error) in ("404", "NoSuchBucket"):
            return [
                problem(
                    AWS_GROUP, f"state bucket {bucket} does not exist", "make init (it applies the bootstrap stack)"
                )
            ]
        return [
            problem(
                AWS_GROUP,
                f"state bucket {bucket} is not readable with these credentials ({error_code(error)}): "
                "another account may own the name",
                "use this project's AWS account, or rename the project (S3 names are global)",
            )
        ]
    if location != region:
        return [
            problem(
                AWS_GROUP,
                f"state bucket {bucket} is in {location}, not {region}",
                f'set region = "{location}" in the envs/*.s3.tfbackend files',
            )
        ]
    return [ok(AWS_GROUP, f"state bucket {bucket}")]


def check_roles(iam: Any, project: Project) -> list[Finding]:
    findings = []
    for kind, name in (
        ("deploy", project.shared_names["iam_deploy_role"]),
        ("infrastructure", project.shared_names["iam_infra_role"]),
    ):
        try:
            iam.get_role(RoleName=name)
        except ClientError as error:
            if error_code(error) == "NoSuchEntity":
                findings.append(
                    problem(
                        AWS_GROUP,
                        f"{kind} role {name} does not exist: the GitHub workflows cannot reach AWS",
                        "make init (the bootstrap stack creates it for the GitHub repository)",
                    )
                )
            else:
                findings.append(
                    problem(
                        AWS_GROUP,
                        f"cannot read the {kind} role {name} ({error_code(error)})",
                        "use credentials allowed iam:GetRole (an administrator's)",
                    )
                )
        else:
            findings.append(ok(AWS_GROUP, f"{kind} role {name}"))
    return findings
