"""Tearing down the applied stacks: terraform destroy, then proof that nothing of the project is left.

The session's stack fixtures call these after their last test, so the check runs however the tests are ordered or
selected; a leftover fails the session as an error at teardown.
"""

from __future__ import annotations

import json

from support.aws_checks import bucket_exists, log_group_retention, role_exists, secret_names, tagged_project_resources
from support.stacks import StackCycle


def destroy_ecs_stack(ecs_stack: StackCycle) -> None:
    """terraform destroy removes every resource of the stack, repositories holding images included."""
    # The seed could not destroy repositories that held images: push one first.
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [],
    }
    ecs_stack.emulator.client("ecr").put_image(
        repositoryName=ecs_stack.environment_names["ecr_backend"], imageManifest=json.dumps(manifest), imageTag="v1"
    )
    ecs_stack.destroy()
    emulator, names = ecs_stack.emulator, ecs_stack.environment_names
    shared = ecs_stack.names.shared()
    # Deleted ECS clusters, services and task definitions stay visible as INACTIVE (on AWS as here);
    # their status is checked below.
    leftovers = [
        arn
        for arn in tagged_project_resources(emulator, ecs_stack.names.resource_prefix)
        if shared["state_bucket"] not in arn
        and shared["iam_deploy_role"] not in arn
        and shared["iam_infra_role"] not in arn
        and ":oidc-provider/" not in arn
        and not arn.startswith("arn:aws:ecs:")
    ]
    assert leftovers == []
    ecs = emulator.client("ecs")
    # Every service either task layout creates (the demo's packed "app", or one per process).
    services = ecs.describe_services(
        cluster=names["ecs_cluster"],
        services=[names[f"ecs_service_{key}"] for key in ("web", "websocket", "frontend", "worker", "beat", "app")],
    )["services"]
    assert services and {service["status"] for service in services} <= {"INACTIVE", "DRAINING"}
    for family in ecs_stack.outputs["ecs_task_definition_families"].values():
        definition = ecs.describe_task_definition(taskDefinition=f"{family}:1")
        assert definition["taskDefinition"]["status"] == "INACTIVE"
    # By name: other tests in the session create instances, groups and load balancers of their own.
    instances = emulator.client("rds").describe_db_instances()["DBInstances"]
    assert names["rds_instance"] not in {instance["DBInstanceIdentifier"] for instance in instances}
    groups = emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    assert names["elasticache_group"] not in {group["ReplicationGroupId"] for group in groups}
    balancers = emulator.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert names["alb"] not in {balancer["LoadBalancerName"] for balancer in balancers}
    assert not bucket_exists(emulator, names["media_bucket"]) and bucket_exists(emulator, shared["state_bucket"])
    assert log_group_retention(emulator, names["log_group_prefix"]) == {}
    assert names["secret_django_key"] not in secret_names(emulator)
    assert not role_exists(emulator, names["iam_execution_role"])
    clusters = ecs.describe_clusters(clusters=[names["ecs_cluster"]])["clusters"]
    assert all(cluster["status"] == "INACTIVE" for cluster in clusters)
    assert not ecs_stack.state_object()["resources"], "the state in the bucket still lists resources"


def destroy_ec2_stack(ec2_stack: StackCycle) -> None:
    """terraform destroy removes every resource of the stack; only the state bucket remains."""
    ec2_stack.destroy()
    emulator, names = ec2_stack.emulator, ec2_stack.environment_names
    state_bucket = ec2_stack.names.shared()["state_bucket"]
    # A terminated instance stays visible (and tagged) for a while, on AWS as here; its state is checked below.
    leftovers = [
        arn
        for arn in tagged_project_resources(emulator, ec2_stack.names.resource_prefix)
        if state_bucket not in arn and ":instance/" not in arn
    ]
    assert leftovers == []
    reservations = emulator.client("ec2").describe_instances(
        Filters=[{"Name": "tag:Name", "Values": [names["ec2_instance"]]}]
    )["Reservations"]
    states = {instance["State"]["Name"] for reservation in reservations for instance in reservation["Instances"]}
    assert states <= {"terminated"}
    assert not bucket_exists(emulator, names["media_bucket"])
    assert not role_exists(emulator, names["iam_instance_role"])
    assert not {names["secret_django_key"], names["secret_db_password"]} & secret_names(emulator)
    assert log_group_retention(emulator, names["log_group_prefix"]) == {}
    assert not ec2_stack.state_object()["resources"]
