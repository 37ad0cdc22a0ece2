"""The ECS Fargate demo stack, applied for real to the emulator, checked with boto3, then destroyed.

Every resource of the demo stack applies on the emulator (with the patches in emulator.py). What
only stg/prod create (HTTPS listener, autoscaling, NAT gateway, flow logs) is checked at plan level
here and by the generated project's own ``terraform test`` files.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path

import pytest
from support.aws_checks import (
    AWS_NAME_LIMITS,
    bucket_exists,
    group_id,
    log_group_retention,
    role_exists,
    secret_names,
    security_group_rules,
)
from support.commands import beat_command, web_command, worker_command
from support.stacks import ENVIRONMENT, StackCycle
from support.terraform_runner import Terraform

from djaws.naming import ENVIRONMENTS

# What ops deploy, rollback, migrate, manage, releases, status and logs call (bootstrap/deploy_role.tf); nothing else.
DEPLOY_ROLE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
    "ecs:DescribeTaskDefinition",
    "ecs:ListTaskDefinitions",
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeServices",
    "ecs:UpdateService",
    "ecs:RunTask",
    "ecs:DescribeTasks",
    "ecs:StopTask",
    "ecs:TagResource",
    "iam:PassRole",
    "ssm:SendCommand",
    "ssm:GetCommandInvocation",
    "ec2:DescribeInstances",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:RegisterScalableTarget",
    "elasticloadbalancing:DescribeTargetHealth",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "rds:AddTagsToResource",
    "rds:CreateDBSnapshot",
    "rds:DescribeDBInstanceAutomatedBackups",
    "rds:DescribeDBInstances",
    "rds:DescribeDBSnapshots",
    "s3:ListBucket",
    "s3:GetObject",
    "s3:PutObject",
    "secretsmanager:GetSecretValue",
    "scheduler:GetSchedule",
    "scheduler:UpdateSchedule",
}

# Under xdist, every test of both applied stacks runs on one worker, which applies the two stacks once, in
# parallel; the stack fixture destroys its stack after the last of them (support/stack_teardown.py).
pytestmark = pytest.mark.xdist_group("infra-apply")


def test_state_is_written_to_the_state_bucket(ecs_stack: StackCycle) -> None:
    """The S3 backend keeps the state in the bootstrap's bucket, under the project/env key."""
    state = ecs_stack.state_object()
    assert state["resources"], "the state in the bucket lists no resources"
    assert state["lineage"]
    bucket = ecs_stack.names.shared()["state_bucket"]
    keys = {entry["Key"] for entry in ecs_stack.emulator.client("s3").list_objects_v2(Bucket=bucket)["Contents"]}
    assert f"{ecs_stack.state_key}.tflock" not in keys, "the lock file outlived the apply"


def test_state_bucket_is_versioned_private_and_tls_only(ecs_stack: StackCycle) -> None:
    """The bootstrap stack's bucket: versioning, encryption, public access block, TLS-only policy."""
    s3 = ecs_stack.emulator.client("s3")
    bucket = ecs_stack.names.shared()["state_bucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("role", ["iam_deploy_role", "iam_infra_role"])
def test_deploy_role_trusts_only_this_repository(ecs_stack: StackCycle, role: str) -> None:
    """GitHub OIDC, both roles: audience sts.amazonaws.com and exactly this repository's four GitHub environments."""
    iam = ecs_stack.emulator.client("iam")
    document = iam.get_role(RoleName=ecs_stack.names.shared()[role])["Role"]["AssumeRolePolicyDocument"]
    repository = f"acme-corp/{ecs_stack.names.project_slug}"
    condition = document["Statement"][0]["Condition"]["StringEquals"]
    assert set(condition) == {"token.actions.githubusercontent.com:aud", "token.actions.githubusercontent.com:sub"}
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    # A list of subjects matches any of them: its order means nothing.
    assert sorted(condition["token.actions.githubusercontent.com:sub"]) == sorted(
        f"repo:{repository}:environment:{environment}" for environment in ENVIRONMENTS
    )


def test_deploy_role_can_deploy_but_not_change_infrastructure(ecs_stack: StackCycle) -> None:
    """Exactly the actions the ops commands call (deploy to logs); "*" only where AWS takes no ARN."""
    iam = ecs_stack.emulator.client("iam")
    shared = ecs_stack.names.shared()
    policy = iam.get_role_policy(RoleName=shared["iam_deploy_role"], PolicyName="deploy")["PolicyDocument"]
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    actions = {action for statement in statements.values() for action in statement["Action"]}
    assert actions == DEPLOY_ROLE_ACTIONS
    on_everything = {sid for sid, statement in statements.items() if "*" in statement["Resource"]}
    assert on_everything == {
        "EcrLogin",
        "TaskDefinitions",
        "FollowHostCommands",
        "ResumeAutoscaling",
        "ReadTargetHealth",
    }
    repositories = statements["PushAndPullImages"]["Resource"]
    assert any(arn.endswith(f"repository/{ecs_stack.environment_names['ecr_backend']}") for arn in repositories)
    assert statements["WriteReleaseRecords"]["Resource"] == [
        f"arn:aws:s3:::{shared['state_bucket']}/{ecs_stack.names.resource_prefix}/*/releases/*"
    ]
    # The readiness token of each environment, and no other secret: the demo's real ARN (its name, "-" and six
    # random characters) matches a pattern; the Django key's does not.
    patterns = statements["ReadReadinessToken"]["Resource"]
    assert len(patterns) == len(ecs_stack.names.as_dict()["environments"])
    secrets = ecs_stack.emulator.client("secretsmanager")
    token_arn = ecs_stack.outputs["readiness_token_secret_arn"]
    key_arn = secrets.describe_secret(SecretId=ecs_stack.environment_names["secret_django_key"])["ARN"]
    assert any(fnmatch.fnmatchcase(token_arn, pattern) for pattern in patterns)
    assert not any(fnmatch.fnmatchcase(key_arn, pattern) for pattern in patterns)
    assert statements["PassTaskRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    assert statements["PassSchedulerRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
    }


def test_infra_role_changes_infrastructure_but_not_the_github_roles(ecs_stack: StackCycle) -> None:
    """PowerUserAccess plus IAM on the stacks' own roles; denied every IAM action on the two GitHub roles."""
    iam = ecs_stack.emulator.client("iam")
    shared = ecs_stack.names.shared()
    attached = iam.list_attached_role_policies(RoleName=shared["iam_infra_role"])["AttachedPolicies"]
    assert [policy["PolicyName"] for policy in attached] == ["PowerUserAccess"]
    policy = iam.get_role_policy(RoleName=shared["iam_infra_role"], PolicyName="stack-iam")["PolicyDocument"]
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    roles = statements["StackRolesAndInstanceProfiles"]["Resource"]
    assert any(arn.endswith(f":role/{ecs_stack.environment_names['iam_execution_role']}") for arn in roles)
    assert not any(shared["iam_deploy_role"] in arn or shared["iam_infra_role"] in arn for arn in roles)
    denied = statements["NoChangesToGitHubRoles"]
    assert (denied["Effect"], denied["Action"]) == ("Deny", ["iam:*"])
    assert sorted(arn.rsplit("/", 1)[1] for arn in denied["Resource"]) == sorted(
        [shared["iam_deploy_role"], shared["iam_infra_role"]]
    )


def test_names_are_the_naming_modules_and_fit_aws_limits(ecs_stack: StackCycle) -> None:
    """What exists in AWS carries exactly the names djaws.naming computes, each within its limit."""
    names = ecs_stack.environment_names
    emulator = ecs_stack.emulator
    for kind, limit in AWS_NAME_LIMITS.items():
        assert len(names[kind]) <= limit, f"{kind} name {names[kind]!r} exceeds {limit} characters"
    elbv2 = emulator.client("elbv2")
    assert elbv2.describe_load_balancers(Names=[names["alb"]])["LoadBalancers"]
    found_groups = {group["TargetGroupName"] for group in elbv2.describe_target_groups()["TargetGroups"]}
    assert {
        names["target_group_web"],
        names["target_group_frontend"],
        names["target_group_websocket"],
    } <= found_groups
    ecs = emulator.client("ecs")
    # The demo's packed layout: one service; Redis runs in its task, so no replication group.
    services = ecs.describe_services(cluster=names["ecs_cluster"], services=[names["ecs_service_app"]])
    assert not services["failures"] and len(services["services"]) == 1
    assert ecs_stack.outputs["ecs_service_names"] == {"app": names["ecs_service_app"]}
    assert emulator.client("rds").describe_db_instances(DBInstanceIdentifier=names["rds_instance"])["DBInstances"]
    assert not emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    assert bucket_exists(emulator, names["media_bucket"])
    repositories = {
        repository["repositoryName"] for repository in emulator.client("ecr").describe_repositories()["repositories"]
    }
    assert {names["ecr_backend"], names["ecr_frontend"]} <= repositories
    assert role_exists(emulator, names["iam_execution_role"]) and role_exists(emulator, names["iam_task_role"])
    assert names["secret_django_key"] in secret_names(emulator)
    topics = {topic["TopicArn"].rsplit(":", 1)[1] for topic in emulator.client("sns").list_topics()["Topics"]}
    assert names["alarm_topic"] in topics
    for kind in ("security_group_alb", "security_group_app", "security_group_db"):
        assert group_id(emulator, names[kind])


def test_listener_rules_route_paths_to_their_target_groups(ecs_stack: StackCycle) -> None:
    """/api/* to the backend, /ws/* to the websocket process, the rest to the frontend; plain HTTP."""
    names = ecs_stack.environment_names
    elbv2 = ecs_stack.emulator.client("elbv2")
    balancer = elbv2.describe_load_balancers(Names=[names["alb"]])["LoadBalancers"][0]
    listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert [(listener["Port"], listener["Protocol"]) for listener in listeners] == [(80, "HTTP")]
    group_names = {
        group["TargetGroupArn"]: group["TargetGroupName"] for group in elbv2.describe_target_groups()["TargetGroups"]
    }
    routes: dict[str, str] = {}
    for rule in elbv2.describe_rules(ListenerArn=listeners[0]["ListenerArn"])["Rules"]:
        target = group_names[rule["Actions"][0]["TargetGroupArn"]]
        if rule["IsDefault"]:
            routes["default"] = target
        for condition in rule["Conditions"]:
            for path in condition.get("PathPatternConfig", {}).get("Values", condition.get("Values", [])):
                routes[path] = target
    assert routes == {
        "/api/*": names["target_group_web"],
        "/ws/*": names["target_group_websocket"],
        "default": names["target_group_frontend"],
    }


def test_target_groups_check_health_on_the_app_paths(ecs_stack: StackCycle) -> None:
    """Backend and websocket on /api/health/, frontend on /, each on its container port."""
    names = ecs_stack.environment_names
    elbv2 = ecs_stack.emulator.client("elbv2")
    expected = {
        names["target_group_web"]: ("/api/health/", 8000),
        names["target_group_websocket"]: ("/api/health/", 8001),
        names["target_group_frontend"]: ("/", 3000),
    }
    for group in elbv2.describe_target_groups(Names=list(expected))["TargetGroups"]:
        assert (group["HealthCheckPath"], group["Port"]) == expected[group["TargetGroupName"]]
        assert group["TargetType"] == "ip"
        attributes = {
            entry["Key"]: entry["Value"]
            for entry in elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]
        }
        assert attributes["deregistration_delay.timeout_seconds"] == "30"


def test_the_packed_service_runs_on_spot_behind_every_target_group(ecs_stack: StackCycle) -> None:
    """Demo: one service on Fargate Spot, in the web, websocket and frontend target groups, rolling deploys."""
    names = ecs_stack.environment_names
    (app,) = ecs_stack.emulator.client("ecs").describe_services(
        cluster=names["ecs_cluster"], services=[names["ecs_service_app"]]
    )["services"]
    configuration = app["deploymentConfiguration"]
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert app["enableExecuteCommand"]
    assert [entry["capacityProvider"] for entry in app["capacityProviderStrategy"]] == ["FARGATE_SPOT"]
    assert "launchType" not in app
    # It serves the site: a deploy starts the new task before the old one stops.
    assert (configuration["minimumHealthyPercent"], configuration["maximumPercent"]) == (100, 200)
    assert app["desiredCount"] <= 1 and ecs_stack.outputs["service_desired_counts"] == {"app": 1}
    groups = {
        group["TargetGroupArn"]: group["TargetGroupName"]
        for group in ecs_stack.emulator.client("elbv2").describe_target_groups()["TargetGroups"]
    }
    assert {
        (groups[entry["targetGroupArn"]], entry["containerName"], entry["containerPort"])
        for entry in app["loadBalancers"]
    } == {
        (names["target_group_web"], "web", 8000),
        (names["target_group_websocket"], "websocket", 8001),
        (names["target_group_frontend"], "frontend", 3000),
    }
    assert app["healthCheckGracePeriodSeconds"] == 120
    assert app["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    clusters = ecs_stack.emulator.client("ecs").describe_clusters(clusters=[names["ecs_cluster"]])["clusters"]
    assert set(clusters[0]["capacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}


def test_task_definitions_follow_the_backend_contract(ecs_stack: StackCycle) -> None:
    """Commands, ports, secrets from Secrets Manager and the settings the backend reads."""
    names = ecs_stack.environment_names
    ecs = ecs_stack.emulator.client("ecs")
    app = ecs.describe_task_definition(taskDefinition=names["ecs_service_app"])["taskDefinition"]
    containers = {container["name"]: container for container in app["containerDefinitions"]}
    assert set(containers) == {"web", "websocket", "frontend", "worker", "beat", "redis"}
    assert (app["cpu"], app["memory"]) == ("256", "1024")
    container = containers["web"]
    assert container["command"] == web_command(Path())
    assert container["portMappings"][0]["containerPort"] == 8000
    assert container["image"].startswith(ecs_stack.outputs["ecr_repository_urls"]["backend"])
    secrets = {secret["name"]: secret["valueFrom"] for secret in container["secrets"]}
    assert set(secrets) == {"SECRET_KEY", "READINESS_TOKEN"}, "the rotating database password is read, not injected"
    assert secrets["READINESS_TOKEN"] == ecs_stack.outputs["readiness_token_secret_arn"]
    environment = {variable["name"]: variable["value"] for variable in container["environment"]}
    database_secret = ecs_stack.outputs["database_secret_arn"]
    assert environment["DB_PASSWORD_SECRET_ARN"] == database_secret
    iam = ecs_stack.emulator.client("iam")
    task_policy = json.dumps(iam.get_role_policy(RoleName=names["iam_task_role"], PolicyName="app")["PolicyDocument"])
    execution_policy = iam.get_role_policy(RoleName=names["iam_execution_role"], PolicyName="start-tasks")
    assert database_secret in task_policy and database_secret not in json.dumps(execution_policy["PolicyDocument"])
    alb_dns = ecs_stack.outputs["alb_dns_name"]
    assert environment["ENVIRONMENT"] == ENVIRONMENT
    assert alb_dns in environment["ALLOWED_HOSTS"].split(",")
    assert environment["REDIS_URL"] == "redis://localhost:6379/0"
    redis = containers["redis"]
    assert redis["image"].startswith("public.ecr.aws/docker/library/redis:") and "127.0.0.1" in redis["command"]
    assert redis["healthCheck"]["command"] == ["CMD", "redis-cli", "ping"]
    for name in ("web", "websocket", "worker", "beat"):
        assert containers[name]["dependsOn"] == [{"containerName": "redis", "condition": "HEALTHY"}], name
    # One-off tasks (migrations) run a web-only family: no second beat or worker beside them.
    one_off = ecs.describe_task_definition(taskDefinition=names["ecs_service_web"])["taskDefinition"]
    assert [entry["name"] for entry in one_off["containerDefinitions"]] == ["web", "redis"]
    assert ecs_stack.outputs["migration_task"]["task_definition_family"] == names["ecs_service_web"]
    assert environment["SERVED_OVER_HTTPS"] == "false"
    assert environment["AWS_STORAGE_BUCKET_NAME"] == names["media_bucket"]
    assert environment["DB_NAME"] == ecs_stack.names.database_name
    assert not any(secret_value in json.dumps(environment) for secret_value in ("password", "SECRET_KEY="))
    for service, command in (("worker", worker_command(Path())), ("beat", beat_command(Path()))):
        assert containers[service]["command"] == command


def test_media_bucket_is_private_with_cors_and_lifecycle(ecs_stack: StackCycle) -> None:
    """Public access blocked, KMS encryption, CORS for the site origin, lifecycle for abandoned uploads."""
    s3 = ecs_stack.emulator.client("s3")
    bucket = ecs_stack.environment_names["media_bucket"]
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]
    assert cors["AllowedOrigins"] == [f"http://{ecs_stack.outputs['alb_dns_name']}"]
    assert {"GET", "POST", "PUT"} <= set(cors["AllowedMethods"])
    rules = {rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    assert rules["expire-never-completed-uploads"]["Filter"]["Tag"] == {"Key": "upload-state", "Value": "pending"}
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled", "versioning is for prod only"


def test_security_groups_admit_only_their_sources(ecs_stack: StackCycle) -> None:
    """ALB from anywhere on 80/443; app only from the ALB; database and Redis only from the app."""
    names = ecs_stack.environment_names
    emulator = ecs_stack.emulator
    alb_id, app_id = group_id(emulator, names["security_group_alb"]), group_id(emulator, names["security_group_app"])

    def ingress(kind: str) -> set[tuple[int, str]]:
        rules = [rule for rule in security_group_rules(emulator, names[kind]) if not rule["IsEgress"]]
        assert all(rule.get("Description") for rule in rules), f"{kind} has a rule without a description"
        return {(rule["FromPort"], rule.get("CidrIpv4") or rule["ReferencedGroupInfo"]["GroupId"]) for rule in rules}

    assert ingress("security_group_alb") == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")}
    assert ingress("security_group_app") == {(8000, alb_id), (8001, alb_id), (3000, alb_id)}
    assert ingress("security_group_db") == {(5432, app_id)}
    # Redis runs in the task on localhost: no security group of its own.
    redis_groups = emulator.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [names["security_group_redis"]]}]
    )["SecurityGroups"]
    assert redis_groups == []


def test_databases_are_encrypted_with_generated_secrets(ecs_stack: StackCycle) -> None:
    """RDS: managed master password, encrypted, private, 1-day backups; Django key generated."""
    names = ecs_stack.environment_names
    emulator = ecs_stack.emulator
    database = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=names["rds_instance"])["DBInstances"][
        0
    ]
    assert database["StorageEncrypted"] and not database["PubliclyAccessible"]
    assert database["MasterUserSecret"]["SecretArn"]
    assert database["BackupRetentionPeriod"] == 1 and not database["DeletionProtection"]
    assert database["Engine"] == "postgres" and database["EngineVersion"].startswith("16")
    key = emulator.client("secretsmanager").get_secret_value(SecretId=names["secret_django_key"])["SecretString"]
    assert len(key) == 64


def test_log_groups_keep_demo_retention(ecs_stack: StackCycle) -> None:
    """One log group per service, kept 7 days in demo."""
    prefix = ecs_stack.environment_names["log_group_prefix"]
    retention = log_group_retention(ecs_stack.emulator, prefix)
    containers = ("web", "websocket", "frontend", "worker", "beat", "redis")
    assert {f"{prefix}/{container}" for container in containers} <= set(retention)
    assert set(retention.values()) == {7}


def test_second_plan_shows_no_changes(ecs_stack: StackCycle) -> None:
    """Applying again would change nothing: the code is stable on repeated applies."""
    exit_code, output = ecs_stack.replan_exit_code()
    assert exit_code == 0, f"the second plan is not empty:\n{output[-8000:]}"


def test_a_held_state_lock_blocks_a_second_plan(ecs_stack: StackCycle) -> None:
    """use_lockfile: while the lock object exists in the bucket, another plan cannot take the state."""
    s3 = ecs_stack.emulator.client("s3")
    bucket, lock_key = ecs_stack.names.shared()["state_bucket"], f"{ecs_stack.state_key}.tflock"
    lock = {
        "ID": "held-by-test",
        "Operation": "OperationTypeApply",
        "Who": "test@djaws",
        "Version": "1.11.4",
        "Created": "2026-01-01T00:00:00Z",
        "Path": f"{bucket}/{ecs_stack.state_key}",
        "Info": "",
    }
    s3.put_object(Bucket=bucket, Key=lock_key, Body=json.dumps(lock).encode())
    try:
        exit_code, output = ecs_stack.replan_exit_code("-lock-timeout=0s")
    finally:
        s3.delete_object(Bucket=bucket, Key=lock_key)
    assert exit_code == 1 and "Error acquiring the state lock" in output, output[-3000:]


def test_prod_plan_adds_https_autoscaling_and_nat(
    ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Plan level (these are not applied on the emulator): prod with a certificate, as AWS would get it."""
    copy = tmp_path_factory.mktemp("prod-plan") / "project"
    shutil.copytree(ecs_stack.project, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate"))
    stack_dir = copy / "infra" / "terraform" / "ecs-fargate"
    (stack_dir / "zz_local_backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    prod = Terraform(stack_dir, ecs_stack.cli_config)
    prod.run("init", "-input=false")
    certificate = "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    plan = prod.plan_json(
        "-var-file=envs/prod.tfvars", f"-var=certificate_arn={certificate}", "-var=domain_name=shop.example.com"
    )
    planned = {change["address"]: change["change"]["after"] for change in plan["resource_changes"]}
    assert planned["aws_lb_listener.https[0]"]["port"] == 443
    assert planned["aws_lb_listener.https[0]"]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    assert planned["aws_lb_listener.http"]["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"
    assert "module.network.aws_nat_gateway.main[0]" in planned
    requests = planned['aws_appautoscaling_policy.requests["web"]']["target_tracking_scaling_policy_configuration"][0]
    assert requests["predefined_metric_specification"][0]["predefined_metric_type"] == "ALBRequestCountPerTarget"
    # Services start with zero tasks: scaling stays suspended until ops deploy verifies a release.
    for service in ("web", "websocket", "frontend", "worker"):
        suspended = planned[f'aws_appautoscaling_target.service["{service}"]']["suspended_state"][0]
        assert all(suspended.values()), service
    assert planned['aws_ecs_service.service["web"]']["desired_count"] == 0
    # prod keeps one service per process, on demand, each in at most its own target group, and ElastiCache.
    services = {address: after for address, after in planned.items() if address.startswith("aws_ecs_service.")}
    assert set(services) == {
        f'aws_ecs_service.service["{p}"]' for p in ("web", "websocket", "frontend", "worker", "beat")
    }
    for address, service in services.items():
        assert [entry["capacity_provider"] for entry in service["capacity_provider_strategy"]] == ["FARGATE"], address
        assert len(service["load_balancer"]) <= 1, address
    assert planned["aws_elasticache_replication_group.main[0]"]["transit_encryption_enabled"]
    assert (
        planned["aws_db_instance.main"]["deletion_protection"]
        and not planned["aws_db_instance.main"]["skip_final_snapshot"]
    )
    assert (
        planned["module.media_bucket.aws_s3_bucket_versioning.this[0]"]["versioning_configuration"][0]["status"]
        == "Enabled"
    )
