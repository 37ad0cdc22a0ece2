"""The EC2 all-in-one demo stack, applied for real to the emulator, checked with boto3, then destroyed.

Every resource of the stack applies on the emulator (with the patches in emulator.py). The user
data that boots the host is read back from the emulator and checked with shellcheck.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.aws_checks import (
    AWS_NAME_LIMITS,
    bucket_exists,
    log_group_retention,
    role_exists,
    secret_names,
    security_group_rules,
)
from support.stacks import StackCycle

SHELLCHECK = Path(sys.executable).parent / "shellcheck"
# Under xdist, every test of both applied stacks runs on one worker, which applies the two stacks once, in
# parallel; the stack fixture destroys its stack after the last of them (support/stack_teardown.py).
pytestmark = pytest.mark.xdist_group("infra-apply")


def host(stack: StackCycle) -> dict[str, Any]:
    """The running instance named for this environment."""
    reservations = stack.emulator.client("ec2").describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": [stack.environment_names["ec2_instance"]]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )["Reservations"]
    instances = [instance for reservation in reservations for instance in reservation["Instances"]]
    assert len(instances) == 1, f"expected one host, found {len(instances)}"
    return instances[0]


def test_state_is_written_to_the_state_bucket(ec2_stack: StackCycle) -> None:
    """The S3 backend keeps the state in the bootstrap's bucket, under the project/env key."""
    assert ec2_stack.state_object()["resources"]


def test_names_are_the_naming_modules_and_fit_aws_limits(ec2_stack: StackCycle) -> None:
    """What exists carries exactly the names djaws.naming computes, each within its limit."""
    names = ec2_stack.environment_names
    emulator = ec2_stack.emulator
    for kind, limit in AWS_NAME_LIMITS.items():
        assert len(names[kind]) <= limit, f"{kind} name {names[kind]!r} exceeds {limit} characters"
    host(ec2_stack)
    assert role_exists(emulator, names["iam_instance_role"])
    profile = emulator.client("iam").get_instance_profile(InstanceProfileName=names["iam_instance_role"])
    assert profile["InstanceProfile"]["Roles"][0]["RoleName"] == names["iam_instance_role"]
    assert bucket_exists(emulator, names["media_bucket"])
    assert {names["secret_django_key"], names["secret_db_password"]} <= secret_names(emulator)
    repositories = {entry["repositoryName"] for entry in emulator.client("ecr").describe_repositories()["repositories"]}
    assert {names["ecr_backend"], names["ecr_frontend"]} <= repositories


def test_host_is_hardened_and_reachable_through_ssm(ec2_stack: StackCycle) -> None:
    """IMDSv2 only, encrypted root volume, the instance profile with SSM, the Elastic IP attached."""
    names = ec2_stack.environment_names
    emulator = ec2_stack.emulator
    instance = host(ec2_stack)
    assert instance["InstanceType"] == "t3.micro"
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["IamInstanceProfile"]["Arn"].endswith(f"/{names['iam_instance_role']}")
    volume_id = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    volume = emulator.client("ec2").describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
    assert volume["Encrypted"] and volume["Size"] == 30
    attached = emulator.client("iam").list_attached_role_policies(RoleName=names["iam_instance_role"])
    assert "AmazonSSMManagedInstanceCore" in {policy["PolicyName"] for policy in attached["AttachedPolicies"]}
    addresses = emulator.client("ec2").describe_addresses(PublicIps=[ec2_stack.outputs["public_ip"]])["Addresses"]
    assert addresses[0]["InstanceId"] == instance["InstanceId"]


def test_only_web_ports_are_open(ec2_stack: StackCycle) -> None:
    """80 and 443 in from anywhere, no SSH; out only HTTP(S)."""
    rules = security_group_rules(ec2_stack.emulator, ec2_stack.environment_names["security_group_host"])
    ingress = {(rule["FromPort"], rule["CidrIpv4"]) for rule in rules if not rule["IsEgress"]}
    egress = {(rule["FromPort"], rule["CidrIpv4"]) for rule in rules if rule["IsEgress"]}
    assert ingress == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")}
    assert egress == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")}


def test_user_data_boots_the_host(ec2_stack: StackCycle, tmp_path: Path) -> None:
    """The script AWS would run: shellcheck-clean, under 16 KiB, with swap, Docker, cron jobs and the app."""
    instance_id = host(ec2_stack)["InstanceId"]
    encoded = ec2_stack.emulator.client("ec2").describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    script = base64.b64decode(encoded["UserData"]["Value"])
    assert len(script) < 16 * 1024
    text = script.decode()
    for step in (
        "fallocate -l 2048M /swapfile",
        "dnf install -y docker cronie",
        "deploy/ec2/backup-db.sh",
        "deploy/ec2/cleanup.sh",
        "purge_stale_uploads",
        "deploy/ec2/deploy.sh",
    ):
        assert step in text, f"user data lacks {step!r}"
    assert "SECRET_KEY=" not in text and "POSTGRES_PASSWORD=" not in text, (
        "secrets must be read on the host, not baked in"
    )
    path = tmp_path / "user-data.sh"
    path.write_bytes(script)
    result = subprocess.run([str(SHELLCHECK), str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_host_files_wait_in_the_bucket_for_first_boot_and_each_deploy(ec2_stack: StackCycle) -> None:
    """User data and deploy.sh copy the compose file, nginx's configuration and the host scripts from deploy-bundle/."""
    s3 = ec2_stack.emulator.client("s3")
    bucket = ec2_stack.environment_names["media_bucket"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="deploy-bundle/")["Contents"]
    bundled = {item["Key"].removeprefix("deploy-bundle/") for item in listed}
    shipped = {str(path.relative_to(ec2_stack.project)) for path in (ec2_stack.project / "deploy" / "ec2").iterdir()}
    assert bundled == shipped | {"docker-compose.prod.yml"}
    for name in bundled:
        body = s3.get_object(Bucket=bucket, Key=f"deploy-bundle/{name}")["Body"].read()
        assert body == (ec2_stack.project / name).read_bytes(), name
    instance_id = host(ec2_stack)["InstanceId"]
    encoded = ec2_stack.emulator.client("ec2").describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    assert f"s3://{bucket}/deploy-bundle/" in base64.b64decode(encoded["UserData"]["Value"]).decode()


def test_backups_expire_from_the_media_bucket(ec2_stack: StackCycle) -> None:
    """Nightly dumps under backups/postgres/ expire; the bucket stays private."""
    s3 = ec2_stack.emulator.client("s3")
    bucket = ec2_stack.environment_names["media_bucket"]
    rules = {rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["expire-old-backups"]["Filter"]["Prefix"] == "backups/postgres/"
    assert rules["expire-old-backups"]["Expiration"]["Days"] == 7
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())


def test_log_groups_keep_demo_retention(ec2_stack: StackCycle) -> None:
    """One log group per compose service, kept 7 days in demo."""
    prefix = ec2_stack.environment_names["log_group_prefix"]
    retention = log_group_retention(ec2_stack.emulator, prefix)
    assert {f"{prefix}/{service}" for service in ("web", "nginx", "postgres", "redis", "frontend")} <= set(retention)
    assert set(retention.values()) == {7}


def test_second_plan_shows_no_changes(ec2_stack: StackCycle) -> None:
    """Applying again would change nothing."""
    exit_code, output = ec2_stack.replan_exit_code()
    assert exit_code == 0, f"the second plan is not empty:\n{output[-8000:]}"
