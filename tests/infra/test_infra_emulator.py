"""The emulator patches on their own: each gap emulator.py closes, checked directly with boto3."""

from __future__ import annotations

import json

from emulator import ContainerOutcome, Emulator


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


def test_ecs_service_keeps_deployment_settings(emulator: Emulator) -> None:
    """CreateService's circuit breaker, ECS Exec and grace period come back from DescribeServices."""
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="patch-check")
    ecs.register_task_definition(
        family="patch-check", containerDefinitions=[{"name": "app", "image": "app", "memory": 128}]
    )
    ecs.create_service(
        cluster="patch-check",
        serviceName="patch-check",
        taskDefinition="patch-check",
        desiredCount=0,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        enableExecuteCommand=True,
        healthCheckGracePeriodSeconds=45,
    )
    service = ecs.describe_services(cluster="patch-check", services=["patch-check"])["services"][0]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["enableExecuteCommand"] and service["healthCheckGracePeriodSeconds"] == 45
    ecs.delete_service(cluster="patch-check", service="patch-check", force=True)
    ecs.delete_cluster(cluster="patch-check")


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


def test_tls_only_bucket_policy_admits_requests(emulator: Emulator) -> None:
    """A deny-unless-TLS policy does not lock out the emulator's (TLS-standing) requests."""
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket="patch-check", CreateBucketConfiguration={"LocationConstraint": emulator.region})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::patch-check", "arn:aws:s3:::patch-check/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket="patch-check", Policy=json.dumps(policy))
    s3.put_object(Bucket="patch-check", Key="state", Body=b"{}")
    assert s3.get_object(Bucket="patch-check", Key="state")["Body"].read() == b"{}"
    s3.delete_object(Bucket="patch-check", Key="state")
    s3.delete_bucket(Bucket="patch-check")


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
