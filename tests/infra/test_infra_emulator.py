"""The emulator patches on their own: each gap emulator.py closes, checked directly with boto3."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support.emulator import ContainerOutcome, Emulator, HostShell


def test_elasticache_group_has_member_clusters_and_deletes_at_once(emulator: Emulator) -> None:
    """Member clusters exist with the group's encryption and security groups; delete finishes at once."""
    ec2, elasticache = emulator.client("ec2"), emulator.client("elasticache")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="patch-check", Description="patch check", VpcId=vpc)["GroupId"]
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="patch-check", CacheSubnetGroupDescription="patch check", SubnetIds=[subnet]
    )
    elasticache.create_replication_group(
        ReplicationGroupId="patch-check",
        ReplicationGroupDescription="patch check",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
        CacheSubnetGroupName="patch-check",
        SecurityGroupIds=[group],
        AtRestEncryptionEnabled=True,
        TransitEncryptionEnabled=True,
    )
    members = elasticache.describe_cache_clusters(CacheClusterId="patch-check-001")["CacheClusters"]
    assert members[0]["AtRestEncryptionEnabled"]
    assert members[0]["SecurityGroups"] == [{"SecurityGroupId": group, "Status": "active"}]
    assert elasticache.describe_cache_clusters(CacheClusterId="patch-check-002")["CacheClusters"]
    elasticache.delete_replication_group(ReplicationGroupId="patch-check")
    # The session's emulator may hold an applied stack's group too: only this one must be gone.
    remaining = elasticache.describe_replication_groups()["ReplicationGroups"]
    assert "patch-check" not in {entry["ReplicationGroupId"] for entry in remaining}
    assert "patch-check-001" not in {
        entry["CacheClusterId"] for entry in elasticache.describe_cache_clusters()["CacheClusters"]
    }
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName="patch-check")
    assert "patch-check" not in {
        entry["CacheSubnetGroupName"] for entry in elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"]
    }


def _ecs_cluster_with_definition(ecs: Any, name: str) -> None:
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(family=name, containerDefinitions=[{"name": "app", "image": "app", "memory": 128}])


def test_ecs_service_keeps_deployment_settings(emulator: Emulator) -> None:
    """CreateService's circuit breaker, percents, ECS Exec, grace period and rebalancing come back as sent."""
    ec2, ecs, elbv2 = emulator.client("ec2"), emulator.client("ecs"), emulator.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.96.0.0/16")["Vpc"]["VpcId"]
    target_group = elbv2.create_target_group(
        Name="patch-check-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    _ecs_cluster_with_definition(ecs, "patch-check")
    ecs.create_service(
        cluster="patch-check",
        serviceName="patch-check",
        taskDefinition="patch-check",
        desiredCount=0,
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8000}],
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 100,
            "minimumHealthyPercent": 0,
        },
        enableExecuteCommand=True,
        healthCheckGracePeriodSeconds=45,
        availabilityZoneRebalancing="DISABLED",
    )
    service = ecs.describe_services(cluster="patch-check", services=["patch-check"])["services"][0]
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 100,
        "minimumHealthyPercent": 0,
    }
    assert service["enableExecuteCommand"] is True and service["healthCheckGracePeriodSeconds"] == 45
    assert service["availabilityZoneRebalancing"] == "DISABLED"


def test_ecs_service_created_without_settings_reads_back_the_documented_defaults(emulator: Emulator) -> None:
    """Nothing sent: ECS's defaults, not the settings of the service created just before it in the cluster."""
    ecs = emulator.client("ecs")
    _ecs_cluster_with_definition(ecs, "defaults-check")
    ecs.create_service(
        cluster="defaults-check",
        serviceName="with-settings",
        taskDefinition="defaults-check",
        desiredCount=0,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        enableExecuteCommand=True,
    )
    ecs.create_service(cluster="defaults-check", serviceName="plain", taskDefinition="defaults-check", desiredCount=0)
    plain = ecs.describe_services(cluster="defaults-check", services=["plain"])["services"][0]
    # The CreateService example response in the ECS API reference (botocore examples-1.json, "To create
    # a new service"): {"maximumPercent": 200, "minimumHealthyPercent": 100}; a service without a
    # circuit breaker describes it as turned off.
    assert plain["deploymentConfiguration"] == {
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    }
    assert plain["enableExecuteCommand"] is False
    # API reference, availabilityZoneRebalancing: a create request without it defaults to ENABLED.
    assert plain["availabilityZoneRebalancing"] == "ENABLED"
    # No load balancer: no grace period at all (ECS refuses one without a load balancer).
    assert "healthCheckGracePeriodSeconds" not in plain


def test_ecs_partial_deployment_configuration_and_load_balancer_get_defaults(emulator: Emulator) -> None:
    """Only a circuit breaker sent: the percents still read 200/100; a load balancer without a grace period: 0."""
    ec2, ecs, elbv2 = emulator.client("ec2"), emulator.client("ecs"), emulator.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.95.0.0/16")["Vpc"]["VpcId"]
    target_group = elbv2.create_target_group(
        Name="partial-check-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    _ecs_cluster_with_definition(ecs, "partial-check")
    ecs.create_service(
        cluster="partial-check",
        serviceName="partial-check",
        taskDefinition="partial-check",
        desiredCount=0,
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8000}],
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
    )
    service = ecs.describe_services(cluster="partial-check", services=["partial-check"])["services"][0]
    assert service["deploymentConfiguration"] == {
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": True, "rollback": False},
    }
    # API reference, healthCheckGracePeriodSeconds: "If you do not specify ... the default value of 0 is used."
    assert service["healthCheckGracePeriodSeconds"] == 0


def test_group_referencing_rule_keeps_its_description(emulator: Emulator) -> None:
    """A rule whose source is another security group reports its description."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    source = ec2.create_security_group(GroupName="patch-source", Description="source", VpcId=vpc)["GroupId"]
    target = ec2.create_security_group(GroupName="patch-target", Description="target", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=target,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": source, "Description": "from the app"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [target]}])["SecurityGroupRules"]
    assert [rule.get("Description") for rule in rules if not rule["IsEgress"]] == ["from the app"]


def _bucket_with_policy(emulator: Emulator, bucket: str, *statements: dict[str, Any]) -> Any:
    """A bucket holding one object, then the given policy statements (each on the bucket and its objects)."""
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    s3.put_object(Bucket=bucket, Key="state", Body=b"{}")
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    if statements:
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Principal": "*", "Resource": resources, **statement} for statement in statements],
        }
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return s3


def _read_status(s3: Any, bucket: str) -> int:
    """HTTP status of GetObject on the bucket's object: 200, or the error's (403 when the policy denies)."""
    try:
        return int(s3.get_object(Bucket=bucket, Key="state")["ResponseMetadata"]["HTTPStatusCode"])
    except ClientError as error:
        return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


TLS_ONLY = {"Effect": "Deny", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_tls_only_bucket_policy_admits_requests(emulator: Emulator) -> None:
    """A deny-unless-TLS policy (the state and media buckets') admits the emulator's TLS-standing requests."""
    s3 = _bucket_with_policy(emulator, "patch-tls-only", TLS_ONLY)
    assert s3.get_object(Bucket="patch-tls-only", Key="state")["Body"].read() == b"{}"
    s3.put_object(Bucket="patch-tls-only", Key="other", Body=b"1")


@pytest.mark.parametrize(
    ("case", "statement", "status"),
    [
        ("no policy", None, 200),
        ("deny without condition", {"Effect": "Deny", "Action": "s3:GetObject"}, 403),
        ("deny on a condition that holds", {**TLS_ONLY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, 403),
        (
            "deny unless TLS, negated",
            {**TLS_ONLY, "Condition": {"StringNotEquals": {"aws:SecureTransport": "true"}}},
            200,
        ),
        (
            "deny when not TLS, negated",
            {**TLS_ONLY, "Condition": {"StringNotEquals": {"aws:SecureTransport": "false"}}},
            403,
        ),
        ("deny of another action", {"Effect": "Deny", "Action": "s3:DeleteObject"}, 200),
    ],
)
def test_bucket_policy_denies_what_it_says(
    emulator: Emulator, case: str, statement: dict[str, Any] | None, status: int
) -> None:
    """Bucket policies are enforced: a statement that applies denies GetObject, one whose condition fails does not."""
    bucket = "patch-deny-" + case.replace(" ", "-").replace(",", "")
    s3 = _bucket_with_policy(emulator, bucket, *([statement] if statement else []))
    assert _read_status(s3, bucket) == status, case


@pytest.mark.parametrize(
    ("condition", "named"),
    [
        ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, "aws:SourceVpce"),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "IpAddress"),
        ({"BoolIfExists": {"aws:SecureTransport": "false"}}, "BoolIfExists"),
    ],
)
def test_bucket_policy_with_a_condition_the_emulator_cannot_evaluate_is_refused(
    emulator: Emulator, condition: dict[str, Any], named: str
) -> None:
    """An unknown key or operator is refused when the policy is set, naming it: never dropped, never guessed."""
    s3 = emulator.client("s3")
    bucket = "patch-unknown-" + named.lower().replace(":", "-")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": condition,
            }
        ],
    }
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert refused.value.response["Error"]["Code"] == "NotImplemented"
    assert named in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=bucket)


def test_scalable_target_tags(emulator: Emulator) -> None:
    """Tags given at registration and through TagResource/UntagResource are listed."""
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="patch-scaling")
    ecs.register_task_definition(
        family="patch-scaling", containerDefinitions=[{"name": "app", "image": "app", "memory": 128}]
    )
    ecs.create_service(cluster="patch-scaling", serviceName="app", taskDefinition="patch-scaling", desiredCount=1)
    scaling = emulator.client("application-autoscaling")
    arn = scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/patch-scaling/app",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"Project": "patch"},
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "patch"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Environment": "demo"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Project"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Environment": "demo"}
    ecs.delete_service(cluster="patch-scaling", service="app", force=True)
    ecs.delete_cluster(cluster="patch-scaling")


def test_one_off_task_stops_with_the_runtime_exit_code_and_logs(emulator: Emulator) -> None:
    """RunTask of a Fargate task definition: STOPPED after a few DescribeTasks, the chosen exit code, its log lines."""
    ec2, ecs, logs = emulator.client("ec2"), emulator.client("ecs"), emulator.client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.98.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="runtime-check", Description="runtime check", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="runtime-check")
    logs.create_log_group(logGroupName="/runtime-check/web")
    log_options = {
        "awslogs-group": "/runtime-check/web",
        "awslogs-region": emulator.region,
        "awslogs-stream-prefix": "web",
    }
    ecs.register_task_definition(
        family="runtime-check",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "web", "image": "app:1", "logConfiguration": {"logDriver": "awslogs", "options": log_options}}
        ],
    )
    emulator.runtime.outcomes["migrate"] = ContainerOutcome(2, ("Applying...", "boom"))
    try:
        task = ecs.run_task(
            cluster="runtime-check",
            taskDefinition="runtime-check",
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
            overrides={"containerOverrides": [{"name": "web", "command": ["python", "manage.py", "migrate"]}]},
        )["tasks"][0]
        for _ in range(10):
            described = ecs.describe_tasks(cluster="runtime-check", tasks=[task["taskArn"]])["tasks"][0]
            if described["lastStatus"] == "STOPPED":
                break
        assert described["lastStatus"] == "STOPPED" and described["containers"][0]["exitCode"] == 2
        stream = f"web/web/{task['taskArn'].rsplit('/', 1)[-1]}"
        events = logs.get_log_events(logGroupName="/runtime-check/web", logStreamName=stream, startFromHead=True)
        assert [event["message"] for event in events["events"]] == ["Applying...", "boom"]
    finally:
        emulator.runtime.outcomes.clear()


def test_service_update_reaches_steady_state_on_the_new_revision(emulator: Emulator) -> None:
    """UpdateService: one PRIMARY deployment of the new task definition, running = desired, COMPLETED."""
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="steady-check")
    first = ecs.register_task_definition(
        family="steady-check", containerDefinitions=[{"name": "app", "image": "app:1", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="steady-check", serviceName="steady-check", taskDefinition=first, desiredCount=0)
    second = ecs.register_task_definition(
        family="steady-check", containerDefinitions=[{"name": "app", "image": "app:2", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="steady-check", service="steady-check", taskDefinition=second, desiredCount=2)
    service = ecs.describe_services(cluster="steady-check", services=["steady-check"])["services"][0]
    assert service["runningCount"] == service["desiredCount"] == 2
    assert [(entry["status"], entry["taskDefinition"], entry["rolloutState"]) for entry in service["deployments"]] == [
        ("PRIMARY", second, "COMPLETED")
    ]


def test_run_command_reports_the_runtime_outcome(emulator: Emulator) -> None:
    """SendCommand: the invocation reports the exit code and output chosen for its script."""
    ssm = emulator.client("ssm")
    emulator.runtime.outcomes["deploy.sh bad"] = ContainerOutcome(1, ("restored the previous tag",))
    try:
        command = ssm.send_command(
            InstanceIds=["i-0123456789abcdef0"],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": ["bash deploy/ec2/deploy.sh bad"]},
        )["Command"]
        invocation = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId="i-0123456789abcdef0")
    finally:
        emulator.runtime.outcomes.clear()
    assert (invocation["Status"], invocation["ResponseCode"]) == ("Failed", 1)
    assert invocation["StandardOutputContent"] == "restored the previous tag\n"


def test_service_update_writes_events_and_registers_healthy_targets(emulator: Emulator) -> None:
    """UpdateService: ECS's events, newest first, and one healthy target per running task; a crashing one runs none."""
    ec2, ecs, elbv2 = emulator.client("ec2"), emulator.client("ecs"), emulator.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.97.0.0/16")["Vpc"]["VpcId"]
    target_group = elbv2.create_target_group(
        Name="events-check", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="events-check")
    container = {"name": "app", "image": "app:1", "memory": 128, "command": ["python", "-m", "config.server"]}
    definition = ecs.register_task_definition(family="events-check", containerDefinitions=[container])
    ecs.create_service(
        cluster="events-check",
        serviceName="events-check",
        taskDefinition=definition["taskDefinition"]["taskDefinitionArn"],
        desiredCount=0,
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8000}],
    )

    ecs.update_service(cluster="events-check", service="events-check", desiredCount=2)
    service = ecs.describe_services(cluster="events-check", services=["events-check"])["services"][0]
    messages = [event["message"] for event in service["events"]]
    assert messages[0] == "(service events-check) has reached a steady state."
    assert messages[2].startswith("(service events-check) has started 2 tasks: (task ")
    health = elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
    assert [(entry["TargetHealth"]["State"], entry["Target"]["Port"]) for entry in health] == [("healthy", 8000)] * 2

    emulator.runtime.outcomes["config.server"] = ContainerOutcome(1)
    try:
        ecs.update_service(cluster="events-check", service="events-check", forceNewDeployment=True)
    finally:
        emulator.runtime.outcomes.clear()
    service = ecs.describe_services(cluster="events-check", services=["events-check"])["services"][0]
    assert (service["runningCount"], service["pendingCount"]) == (0, 2)
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert service["events"][0]["message"].endswith("is unable to consistently start tasks successfully.")
    assert elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"] == []


def test_elasticache_group_without_member_count_has_one_plain_member(emulator: Emulator) -> None:
    """NumCacheClusters not sent: one plain member (no encryption at rest, no groups); unknown subnet groups fail."""
    elasticache = emulator.client("elasticache")
    elasticache.create_replication_group(
        ReplicationGroupId="patch-single",
        ReplicationGroupDescription="patch check",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
    )
    clusters = {entry["CacheClusterId"]: entry for entry in elasticache.describe_cache_clusters()["CacheClusters"]}
    assert "patch-single-001" in clusters and "patch-single-002" not in clusters
    assert clusters["patch-single-001"]["AtRestEncryptionEnabled"] is False
    assert clusters["patch-single-001"].get("SecurityGroups", []) == []
    elasticache.delete_replication_group(ReplicationGroupId="patch-single")
    with pytest.raises(ClientError, match="CacheSubnetGroupNotFoundFault"):
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName="patch-never-created")


def _network(emulator: Emulator, cidr: str, name: str) -> tuple[str, str, str]:
    """A VPC, one subnet and one security group in it."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    return vpc, subnet, group


def test_instance_launched_with_a_network_interface_reports_its_groups(emulator: Emulator) -> None:
    """The EC2 host's launch (interface spec for a public IP) reports the interface's groups; a plain launch its own."""
    ec2 = emulator.client("ec2")
    vpc, subnet, group = _network(emulator, "10.94", "patch-host")
    image = ec2.describe_images()["Images"][0]["ImageId"]

    def launched_groups(**kwargs: Any) -> list[str]:
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", **kwargs)
        described = ec2.describe_instances(InstanceIds=[instance["Instances"][0]["InstanceId"]])
        return [entry["GroupId"] for entry in described["Reservations"][0]["Instances"][0]["SecurityGroups"]]

    interface = {"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True}
    assert launched_groups(NetworkInterfaces=[{**interface, "Groups": [group]}]) == [group]
    assert launched_groups(SubnetId=subnet, SecurityGroupIds=[group]) == [group]
    # An interface without groups gets the VPC's default group, as on EC2: not some other group.
    default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert launched_groups(NetworkInterfaces=[interface]) == [default]


def test_cidr_rules_keep_their_description_and_undescribed_rules_have_none(emulator: Emulator) -> None:
    """The description property reads CIDR rules' too; a rule created without one reports none."""
    ec2 = emulator.client("ec2")
    _, _, group = _network(emulator, "10.93", "patch-cidr")
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}],
            },
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    described = {rule["FromPort"]: rule.get("Description") for rule in rules if not rule["IsEgress"]}
    assert described[443] == "https" and not described[80]


def test_modified_parameters_are_user_set_and_filtered_by_source(emulator: Emulator) -> None:
    """ModifyDBParameterGroup's parameters read back with Source user; Source=engine-default lists none of them."""
    rds = emulator.client("rds")
    for name in ("patch-params", "patch-params-untouched"):
        rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily="postgres16", Description=name)
    rds.modify_db_parameter_group(
        DBParameterGroupName="patch-params",
        Parameters=[
            {"ParameterName": "log_min_duration_statement", "ParameterValue": "500", "ApplyMethod": "immediate"}
        ],
    )
    user = rds.describe_db_parameters(DBParameterGroupName="patch-params", Source="user")["Parameters"]
    assert [(entry["ParameterName"], entry["ParameterValue"], entry["Source"]) for entry in user] == [
        ("log_min_duration_statement", "500", "user")
    ]
    assert rds.describe_db_parameters(DBParameterGroupName="patch-params", Source="engine-default")["Parameters"] == []
    assert rds.describe_db_parameters(DBParameterGroupName="patch-params-untouched", Source="user")["Parameters"] == []


def _database(rds: Any, identifier: str, retention: int) -> dict[str, Any]:
    return rds.create_db_instance(  # type: ignore[no-any-return]
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        BackupRetentionPeriod=retention,
    )["DBInstance"]


def test_point_in_time_restore_is_checked_against_the_window(emulator: Emulator) -> None:
    """Own resource IDs; a restore window on automated backups; restores outside it, or ambiguous, are refused."""
    rds = emulator.client("rds")
    source = _database(rds, "patch-pitr", retention=7)
    unbacked = _database(rds, "patch-pitr-nobackups", retention=0)
    assert source["DbiResourceId"] != unbacked["DbiResourceId"]
    backups = rds.describe_db_instance_automated_backups(DBInstanceIdentifier="patch-pitr")[
        "DBInstanceAutomatedBackups"
    ]
    window = backups[0]["RestoreWindow"]
    assert window["EarliestTime"] <= window["LatestTime"]

    refusals = {
        "InvalidRestoreFault": {
            "SourceDBInstanceIdentifier": "patch-pitr",
            "RestoreTime": datetime(2001, 1, 1, tzinfo=UTC),
        },
        "InvalidParameterCombination": {
            "SourceDBInstanceIdentifier": "patch-pitr",
            "RestoreTime": datetime.now(UTC) - timedelta(seconds=1),
            "UseLatestRestorableTime": True,
        },
        "PointInTimeRestoreNotEnabled": {
            "SourceDBInstanceIdentifier": "patch-pitr-nobackups",
            "UseLatestRestorableTime": True,
        },
    }
    for code, arguments in refusals.items():
        with pytest.raises(ClientError) as refused:
            rds.restore_db_instance_to_point_in_time(
                TargetDBInstanceIdentifier=f"patch-refused-{len(code)}", **arguments
            )
        assert refused.value.response["Error"]["Code"] == code
    restored = rds.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier="patch-pitr",
        TargetDBInstanceIdentifier="patch-pitr-restored",
        UseLatestRestorableTime=True,
    )["DBInstance"]
    assert restored["DbiResourceId"] not in {source["DbiResourceId"], unbacked["DbiResourceId"]}


def test_certificate_is_issued_only_when_its_validation_record_is_published(emulator: Emulator) -> None:
    """PENDING_VALIDATION without the CNAME or with a wrong value; ISSUED once the right one is in a zone."""
    acm, route53 = emulator.client("acm"), emulator.client("route53")
    arn = acm.request_certificate(DomainName="shop.patch-check.example", ValidationMethod="DNS")["CertificateArn"]
    record = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
    zone = route53.create_hosted_zone(Name="patch-check.example", CallerReference="patch-acm")["HostedZone"]["Id"]

    def publish(value: str) -> str:
        change = {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": record["Name"],
                "Type": "CNAME",
                "TTL": 60,
                "ResourceRecords": [{"Value": value}],
            },
        }
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [change]})
        return str(acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"])

    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    assert publish("_wrong.acm-validations.aws.") == "PENDING_VALIDATION"
    assert publish(record["Value"]) == "ISSUED"


def test_scalable_target_without_tags_lists_none(emulator: Emulator) -> None:
    """A target registered without tags lists none, not another target's."""
    ecs = emulator.client("ecs")
    _ecs_cluster_with_definition(ecs, "patch-untagged")
    ecs.create_service(cluster="patch-untagged", serviceName="app", taskDefinition="patch-untagged", desiredCount=1)
    scaling = emulator.client("application-autoscaling")
    arn = scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/patch-untagged/app",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {}


def test_a_host_script_runs_once_in_the_background_while_the_invocation_is_in_progress(
    emulator: Emulator, tmp_path: Path
) -> None:
    """SendCommand answers before the script ends; the invocation is InProgress until it does, then reports it."""
    ssm = emulator.client("ssm")
    gate, runs = tmp_path / "gate", tmp_path / "runs"
    script = f"echo run >> {runs}; until [ -e {gate} ]; do sleep 0.05; done; echo finished"
    emulator.runtime.outcomes["host-check"] = HostShell(tmp_path, {"PATH": "/usr/bin:/bin"})
    try:
        command = ssm.send_command(
            InstanceIds=["i-0123456789abcdef2"],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": [f": host-check; {script}"]},
        )["Command"]
        waiting = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId="i-0123456789abcdef2")
        assert waiting["Status"] == "InProgress"
        gate.touch()
        deadline = time.monotonic() + 30
        while (
            finished := ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId="i-0123456789abcdef2")
        )["Status"] == "InProgress" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        gate.touch()
        emulator.runtime.outcomes.clear()
    outcome = (finished["Status"], finished["ResponseCode"], finished["StandardOutputContent"])
    assert outcome == ("Success", 0, "finished\n")
    assert runs.read_text() == "run\n"


def test_a_command_runs_only_on_the_instance_it_names(emulator: Emulator, tmp_path: Path) -> None:
    """With other instances running in the region, a command sent to one has one invocation and runs once."""
    ec2, ssm = emulator.client("ec2"), emulator.client("ssm")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    launched = ec2.run_instances(ImageId=image, MinCount=3, MaxCount=3, InstanceType="t3.micro")["Instances"]
    target = launched[0]["InstanceId"]
    runs = tmp_path / "runs"
    emulator.runtime.outcomes["named-host"] = HostShell(tmp_path, {"PATH": "/usr/bin:/bin"})
    try:
        command = ssm.send_command(
            InstanceIds=[target],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": [f": named-host; echo run >> {runs}"]},
        )["Command"]
        deadline = time.monotonic() + 30
        while (
            ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=target)["Status"] == "InProgress"
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
    finally:
        emulator.runtime.outcomes.clear()
        ec2.terminate_instances(InstanceIds=[instance["InstanceId"] for instance in launched])
    listed = ssm.list_commands(CommandId=command["CommandId"])["Commands"][0]
    assert (listed["InstanceIds"], listed["TargetCount"]) == ([target], 1)
    for other in launched[1:]:
        with pytest.raises(ssm.exceptions.InvocationDoesNotExist):
            ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=other["InstanceId"])
    assert runs.read_text() == "run\n"


def test_run_command_without_a_chosen_outcome_succeeds_silently(emulator: Emulator) -> None:
    """A script the runtime table does not name: Success, exit 0, no output."""
    ssm = emulator.client("ssm")
    command = ssm.send_command(
        InstanceIds=["i-0123456789abcdef1"], DocumentName="AWS-RunShellScript", Parameters={"commands": ["uptime"]}
    )["Command"]
    invocation = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId="i-0123456789abcdef1")
    assert (invocation["Status"], invocation["ResponseCode"], invocation["StandardOutputContent"]) == ("Success", 0, "")


def test_service_tasks_are_replaced_on_update_and_listed_by_service(emulator: Emulator) -> None:
    """Each update stops the service's tasks and starts runningCount new ones; ListTasks keeps to the named service."""
    ecs = emulator.client("ecs")
    _ecs_cluster_with_definition(ecs, "patch-tasks")
    for name, exec_enabled in (("web", True), ("worker", False)):
        ecs.create_service(
            cluster="patch-tasks",
            serviceName=name,
            taskDefinition="patch-tasks",
            desiredCount=0,
            enableExecuteCommand=exec_enabled,
        )
    ecs.update_service(cluster="patch-tasks", service="web", desiredCount=2)
    ecs.update_service(cluster="patch-tasks", service="worker", desiredCount=1)
    first = ecs.list_tasks(cluster="patch-tasks", serviceName="web")["taskArns"]
    assert len(first) == 2 and len(ecs.list_tasks(cluster="patch-tasks", serviceName="worker")["taskArns"]) == 1
    tasks = ecs.describe_tasks(cluster="patch-tasks", tasks=first)["tasks"]
    assert {(task["lastStatus"], task["group"], task["enableExecuteCommand"]) for task in tasks} == {
        ("RUNNING", "service:web", True)
    }
    ecs.update_service(cluster="patch-tasks", service="web", forceNewDeployment=True)
    second = ecs.list_tasks(cluster="patch-tasks", serviceName="web")["taskArns"]
    assert len(second) == 2 and not set(first) & set(second)
    assert {task["lastStatus"] for task in ecs.describe_tasks(cluster="patch-tasks", tasks=first)["tasks"]} == {
        "STOPPED"
    }
    worker = ecs.describe_tasks(
        cluster="patch-tasks", tasks=ecs.list_tasks(cluster="patch-tasks", serviceName="worker")["taskArns"]
    )
    assert worker["tasks"][0]["enableExecuteCommand"] is False


def test_stopped_task_releases_its_network_interface(emulator: Emulator) -> None:
    """An awsvpc task's interface exists while it runs and is gone once it reads STOPPED."""
    ec2, ecs = emulator.client("ec2"), emulator.client("ecs")
    vpc, subnet, group = _network(emulator, "10.92", "patch-eni")
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    ecs.create_cluster(clusterName="patch-eni")
    ecs.register_task_definition(
        family="patch-eni",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "app:1"}],
    )
    task = ecs.run_task(
        cluster="patch-eni",
        taskDefinition="patch-eni",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
    )["tasks"][0]
    details = [detail for attachment in task["attachments"] for detail in attachment["details"]]
    interface = next(detail["value"] for detail in details if detail["name"] == "networkInterfaceId")

    def interfaces_in_subnet() -> set[str]:
        found = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])
        return {entry["NetworkInterfaceId"] for entry in found["NetworkInterfaces"]}

    assert interface in interfaces_in_subnet()
    for _ in range(10):
        if ecs.describe_tasks(cluster="patch-eni", tasks=[task["taskArn"]])["tasks"][0]["lastStatus"] == "STOPPED":
            break
    assert interface not in interfaces_in_subnet()
