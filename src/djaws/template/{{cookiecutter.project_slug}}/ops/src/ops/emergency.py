"""Emergency destroy: delete an environment whose Terraform state is lost or broken, in dependency order.

Discovery (``discovery.py``) finds what is there by name, tag and VPC; this module deletes it kind
by kind in ``PHASES`` order, finding each kind again just before deleting it, so a run that stopped
half-way (a timeout, an error) is finished by running it again. The long deletes (RDS,
ElastiCache) start early and are waited for, with progress lines, only where something depends on
them. At the end everything is looked up once more: what is left is listed and the exit is non-zero.

``HANDLED_TYPES`` maps every Terraform resource type the stacks create to the kind that deletes it;
``unhandled_types`` reads the project's Terraform and names any type missing there, so a new
resource type cannot be added without this destroy learning it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ops.discovery import Discovery, Resource, is_gone
from ops.environment import poll_seconds, step
from ops.errors import OpsError

# Terraform resource type -> the kind whose deletion removes it (sub-resources go with their parent).
HANDLED_TYPES = {
    "aws_acm_certificate": "acm_certificate",
    "aws_acm_certificate_validation": "acm_certificate",
    "aws_appautoscaling_policy": "scalable_target",
    "aws_appautoscaling_target": "scalable_target",
    "aws_budgets_budget": "budget",
    "aws_cloudwatch_dashboard": "dashboard",
    "aws_cloudwatch_log_group": "log_group",
    "aws_cloudwatch_log_metric_filter": "log_group",
    "aws_cloudwatch_metric_alarm": "alarm",
    "aws_cloudwatch_query_definition": "query_definition",
    "aws_db_instance": "rds_instance",
    "aws_db_parameter_group": "db_parameter_group",
    "aws_db_subnet_group": "db_subnet_group",
    "aws_default_security_group": "vpc",
    "aws_ecr_lifecycle_policy": "ecr_repository",
    "aws_ecr_repository": "ecr_repository",
    "aws_ecs_cluster": "ecs_cluster",
    "aws_ecs_cluster_capacity_providers": "ecs_cluster",
    "aws_ecs_service": "ecs_service",
    "aws_ecs_task_definition": "task_definition",
    "aws_eip": "elastic_ip",
    "aws_eip_association": "elastic_ip",
    "aws_elasticache_replication_group": "cache_group",
    "aws_elasticache_subnet_group": "cache_subnet_group",
    "aws_flow_log": "flow_log",
    "aws_iam_instance_profile": "instance_profile",
    "aws_iam_role": "iam_role",
    "aws_iam_role_policy": "iam_role",
    "aws_iam_role_policy_attachment": "iam_role",
    "aws_instance": "ec2_instance",
    "aws_internet_gateway": "internet_gateway",
    "aws_lb": "load_balancer",
    "aws_lb_listener": "listener",
    "aws_lb_listener_rule": "listener",
    "aws_lb_target_group": "target_group",
    "aws_nat_gateway": "nat_gateway",
    "aws_route53_record": "dns_record",
    "aws_route": "route_table",
    "aws_route_table": "route_table",
    "aws_route_table_association": "route_table",
    "aws_s3_bucket": "s3_bucket",
    "aws_s3_bucket_cors_configuration": "s3_bucket",
    "aws_s3_bucket_lifecycle_configuration": "s3_bucket",
    "aws_s3_bucket_ownership_controls": "s3_bucket",
    "aws_s3_bucket_policy": "s3_bucket",
    "aws_s3_bucket_public_access_block": "s3_bucket",
    "aws_s3_bucket_server_side_encryption_configuration": "s3_bucket",
    "aws_s3_bucket_versioning": "s3_bucket",
    "aws_s3_object": "s3_bucket",
    "aws_scheduler_schedule": "schedule_group",
    "aws_scheduler_schedule_group": "schedule_group",
    "aws_secretsmanager_secret": "secret",
    "aws_secretsmanager_secret_version": "secret",
    "aws_security_group": "security_group",
    "aws_sns_topic": "sns_topic",
    "aws_sns_topic_policy": "sns_topic",
    "aws_sns_topic_subscription": "sns_topic",
    "aws_ssm_parameter": "ssm_parameter",
    "aws_subnet": "subnet",
    "aws_vpc": "vpc",
    "aws_vpc_endpoint": "vpc_endpoint",
    "aws_vpc_security_group_egress_rule": "security_group",
    "aws_vpc_security_group_ingress_rule": "security_group",
}
RESOURCE_TYPE = re.compile(r'^resource\s+"([a-z0-9_]+)"', re.MULTILINE)
WAIT_FOR_DATA_STORES = "wait for the data stores"
# Deletion order: each phase only starts once the one before it has been dealt with.
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Schedules first: they would start new tasks while the services stop.
    (
        "stop the app",
        ("dns_record", "schedule_group", "scalable_target", "ecs_service", "ecs_task", "ec2_instance"),
    ),
    ("load balancer", ("listener", "load_balancer", "target_group", "acm_certificate")),
    ("start deleting the data stores", ("rds_instance", "cache_group")),
    (
        "services without dependants",
        (
            "ecs_cluster",
            "task_definition",
            "ecr_repository",
            "s3_bucket",
            "log_group",
            "query_definition",
            "dashboard",
            "alarm",
            "budget",
            "sns_topic",
            "secret",
            "ssm_parameter",
        ),
    ),
    ("identity", ("instance_profile", "iam_role")),
    (WAIT_FOR_DATA_STORES, ()),
    ("data store settings", ("db_subnet_group", "db_parameter_group", "cache_subnet_group")),
    (
        "network",
        (
            "flow_log",
            "vpc_endpoint",
            "nat_gateway",
            "network_interface",
            "elastic_ip",
            "internet_gateway",
            "subnet",
            "route_table",
            "security_group",
            "vpc",
        ),
    ),
)
KINDS = tuple(kind for _, kinds in PHASES for kind in kinds)
SECRET_RECOVERY_DAYS = 7  # the shortest window Secrets Manager allows


def terraform_types(stack_dir: Path) -> set[str]:
    """Every resource type the target's root module and the modules it uses declare."""
    files = [*stack_dir.glob("*.tf"), *(stack_dir.parent / "modules").glob("*/*.tf")]
    return {match for path in files for match in RESOURCE_TYPE.findall(path.read_text())}


def unhandled_types(stack_dir: Path) -> list[str]:
    """Resource types the Terraform creates that this destroy does not know how to delete."""
    return sorted(terraform_types(stack_dir) - set(HANDLED_TYPES))


@dataclass
class Options:
    """What the person asked for."""

    skip_final_snapshot: bool = False
    disable_deletion_protection: bool = False
    force_delete_secrets: bool = False
    timeout: float = 1800.0


@dataclass
class EmergencyDestroy:
    """One environment's emergency destroy: find, check, delete, look again."""

    discovery: Discovery
    options: Options
    failures: list[str] = field(default_factory=list)
    lookup_failures: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    scheduled_secrets: list[str] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self.discovery.client(service)

    # --- Finding -----------------------------------------------------------------------------------

    def find(self, kind: str) -> list[Resource]:
        """What is there of one kind now; nothing when what holds it (a cluster, a VPC) is gone."""
        finder: Callable[[], list[Resource]] = getattr(self.discovery, f"find_{kind}")
        return self.discovery.safely(finder)

    def find_all(self) -> list[Resource]:
        """Everything there now, in deletion order, then tagged resources no finder accounts for.

        A look-up AWS refuses (a missing permission, a service not offered in the region) is noted
        in ``lookup_failures`` and the others go on: a partial list beats none in an emergency.
        """
        self.lookup_failures = []
        found = [resource for kind in KINDS for resource in self.find_noting_failure(kind)]
        try:
            return found + self.unaccounted(found)
        except ClientError as error:
            self.lookup_failures.append(f"tagged resources: {error}")
            return found

    def find_noting_failure(self, kind: str) -> list[Resource]:
        try:
            return self.find(kind)
        except ClientError as error:
            self.lookup_failures.append(f"{kind}: {error}")
            return []

    def unaccounted(self, found: list[Resource]) -> list[Resource]:
        """Resources tagged with the environment that no finder found: listed, never deleted blindly."""
        return [
            Resource("unknown", arn, "tag", arn)
            for arn in self.discovery.tagged_arns()
            if not any(resource.claims(arn) for resource in found) and not self.is_settled(arn)
        ]

    def is_settled(self, arn: str) -> bool:
        """Tagged but on its way out or meant to stay: snapshots, inactive ECS records, secrets due for
        deletion, a VPC's default security group (it goes with the VPC)."""
        settled = self.discovery.settled
        if arn in settled or arn.rsplit("/", 1)[-1] in settled or ":snapshot:" in arn or ":cluster-snapshot:" in arn:
            return True
        if ":ecs:" in arn and ("task-definition/" in arn or ":service/" in arn or ":cluster/" in arn):
            return True  # ECS keeps deleted clusters, services and revisions as INACTIVE; the finders skip those
        if ":secretsmanager:" in arn:
            secret = self.client("secretsmanager")
            try:
                return bool(secret.describe_secret(SecretId=arn).get("DeletedDate"))
            except ClientError as error:
                return is_gone(error)
        return False

    # --- Checks before deleting anything -----------------------------------------------------------

    def protected(self, found: list[Resource]) -> list[str]:
        """Resources with deletion protection on, as ``kind name`` lines."""
        lines = []
        for resource in found:
            if resource.kind == "rds_instance":
                instance = self.client("rds").describe_db_instances(DBInstanceIdentifier=resource.identifier)
                if instance["DBInstances"][0].get("DeletionProtection"):
                    lines.append(f"RDS instance {resource.identifier}")
            elif resource.kind == "load_balancer":
                attributes = self.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=resource.arn)
                if any(
                    entry["Key"] == "deletion_protection.enabled" and entry["Value"] == "true"
                    for entry in attributes["Attributes"]
                ):
                    lines.append(f"load balancer {resource.identifier}")
            elif resource.kind == "ec2_instance":
                attribute = self.client("ec2").describe_instance_attribute(
                    InstanceId=resource.identifier, Attribute="disableApiTermination"
                )
                if attribute["DisableApiTermination"]["Value"]:
                    lines.append(f"EC2 instance {resource.identifier}")
        return lines

    # --- Deleting ----------------------------------------------------------------------------------

    def run(self) -> None:
        """Delete phase by phase; failures are collected and reported, the rest goes on."""
        for title, kinds in PHASES:
            if title == WAIT_FOR_DATA_STORES:
                self.wait_for_data_stores()
                continue
            for kind in kinds:
                resources = self.find_noting_failure(kind)
                if resources:
                    step(f"{title}: deleting {len(resources)} {kind.replace('_', ' ')}(s)")
                    prepare = getattr(self, f"prepare_{kind}", None)
                    if prepare is not None:
                        self.attempt(f"preparing {kind}", prepare)
                for resource in resources:
                    self.delete(resource)
                settle = getattr(self, f"settle_{kind}", None)
                if resources and settle is not None:
                    self.attempt(f"waiting for {kind}", settle)

    def attempt(self, what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except (ClientError, OpsError) as error:
            self.failures.append(f"{what}: {error}")
            print(f"  failed: {what}: {error}")

    def delete(self, resource: Resource) -> None:
        deleter: Callable[[Resource], None] = getattr(self, f"delete_{resource.kind}")

        def delete_one() -> None:
            try:
                deleter(resource)
            except ClientError as error:
                if not is_gone(error):
                    raise

        self.attempt(f"{resource.kind} {resource.identifier}", delete_one)

    def wait_until(self, what: str, remaining: Callable[[], list[str]]) -> None:
        """Poll until nothing remains; a progress line each minute; OpsError naming what is left on timeout."""
        started = time.monotonic()
        last_report = started
        while True:
            left = remaining()
            if not left:
                return
            now = time.monotonic()
            if now - started >= self.options.timeout:
                raise OpsError(f"{what}: still there after {self.options.timeout:.0f}s: {', '.join(left)}")
            if now - last_report >= 60:
                print(f"  {what}: waiting {now - started:.0f}s for {', '.join(left)}")
                last_report = now
            time.sleep(poll_seconds())

    # Containers and hosts

    def delete_scalable_target(self, resource: Resource) -> None:
        scaling = self.client("application-autoscaling")
        policies = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource.identifier)
        for policy in policies["ScalingPolicies"]:
            scaling.delete_scaling_policy(
                PolicyName=policy["PolicyName"],
                ServiceNamespace="ecs",
                ResourceId=resource.identifier,
                ScalableDimension=policy["ScalableDimension"],
            )
        scaling.deregister_scalable_target(
            ServiceNamespace="ecs", ResourceId=resource.identifier, ScalableDimension=resource.details["dimension"]
        )

    def delete_schedule_group(self, resource: Resource) -> None:
        """Deleting the group deletes its schedules with it."""
        self.client("scheduler").delete_schedule_group(Name=resource.identifier)

    def delete_ecs_service(self, resource: Resource) -> None:
        ecs, cluster = self.client("ecs"), self.discovery.names["ecs_cluster"]
        ecs.update_service(cluster=cluster, service=resource.identifier, desiredCount=0)
        ecs.delete_service(cluster=cluster, service=resource.identifier, force=True)

    def settle_ecs_service(self) -> None:
        """Deleted services drain (ECS stops their tasks): wait until ECS reports them inactive."""
        self.wait_until("ECS services", lambda: [resource.identifier for resource in self.find("ecs_service")])

    def delete_ecs_task(self, resource: Resource) -> None:
        ecs = self.client("ecs")
        ecs.stop_task(cluster=self.discovery.names["ecs_cluster"], task=resource.arn, reason="ops destroy --emergency")

    def settle_ecs_task(self) -> None:
        self.wait_until("ECS tasks", lambda: [resource.identifier for resource in self.find("ecs_task")])

    def delete_ec2_instance(self, resource: Resource) -> None:
        ec2 = self.client("ec2")
        if self.options.disable_deletion_protection:
            ec2.modify_instance_attribute(InstanceId=resource.identifier, DisableApiTermination={"Value": False})
        ec2.terminate_instances(InstanceIds=[resource.identifier])

    def settle_ec2_instance(self) -> None:
        self.wait_until("EC2 instances", lambda: [resource.identifier for resource in self.find("ec2_instance")])

    # Load balancing

    def delete_listener(self, resource: Resource) -> None:
        self.client("elbv2").delete_listener(ListenerArn=resource.arn)

    def delete_load_balancer(self, resource: Resource) -> None:
        elbv2 = self.client("elbv2")
        if self.options.disable_deletion_protection:
            elbv2.modify_load_balancer_attributes(
                LoadBalancerArn=resource.arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
            )
        elbv2.delete_load_balancer(LoadBalancerArn=resource.arn)

    def settle_load_balancer(self) -> None:
        self.wait_until("load balancer", lambda: [resource.identifier for resource in self.find("load_balancer")])

    def delete_target_group(self, resource: Resource) -> None:
        self.client("elbv2").delete_target_group(TargetGroupArn=resource.arn)

    def delete_acm_certificate(self, resource: Resource) -> None:
        self.client("acm").delete_certificate(CertificateArn=resource.arn)

    def delete_dns_record(self, resource: Resource) -> None:
        """The exact record set goes: Route 53 deletes only what matches it in full."""
        self.client("route53").change_resource_record_sets(
            HostedZoneId=resource.details["zone"],
            ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": resource.details["record"]}]},
        )

    # Data stores: started here, waited for in wait_for_data_stores

    def delete_rds_instance(self, resource: Resource) -> None:
        if resource.details.get("status") == "deleting":
            return
        rds = self.client("rds")
        if self.options.disable_deletion_protection:
            rds.modify_db_instance(
                DBInstanceIdentifier=resource.identifier, DeletionProtection=False, ApplyImmediately=True
            )
        if self.options.skip_final_snapshot:
            rds.delete_db_instance(DBInstanceIdentifier=resource.identifier, SkipFinalSnapshot=True)
            return
        snapshot = f"{resource.identifier}-final-{datetime.now(UTC):%Y%m%d%H%M%S}"
        rds.delete_db_instance(DBInstanceIdentifier=resource.identifier, FinalDBSnapshotIdentifier=snapshot)
        self.snapshots.append(snapshot)
        print(f"  final snapshot: {snapshot}")

    def delete_cache_group(self, resource: Resource) -> None:
        if resource.details.get("status") != "deleting":
            self.client("elasticache").delete_replication_group(ReplicationGroupId=resource.identifier)

    def wait_for_data_stores(self) -> None:
        def remaining() -> list[str]:
            return [f"{r.kind} {r.identifier}" for r in self.find("rds_instance") + self.find("cache_group")]

        if remaining():
            step("waiting for the data stores to be deleted (RDS and ElastiCache take minutes)")
            self.attempt("data stores", lambda: self.wait_until("data stores", remaining))

    def delete_db_subnet_group(self, resource: Resource) -> None:
        self.client("rds").delete_db_subnet_group(DBSubnetGroupName=resource.identifier)

    def delete_db_parameter_group(self, resource: Resource) -> None:
        self.client("rds").delete_db_parameter_group(DBParameterGroupName=resource.identifier)

    def delete_cache_subnet_group(self, resource: Resource) -> None:
        self.client("elasticache").delete_cache_subnet_group(CacheSubnetGroupName=resource.identifier)

    # Services without dependants

    def delete_ecs_cluster(self, resource: Resource) -> None:
        self.client("ecs").delete_cluster(cluster=resource.identifier)

    def delete_task_definition(self, resource: Resource) -> None:
        self.client("ecs").deregister_task_definition(taskDefinition=resource.arn)

    def delete_ecr_repository(self, resource: Resource) -> None:
        self.client("ecr").delete_repository(repositoryName=resource.identifier, force=True)

    def delete_s3_bucket(self, resource: Resource) -> None:
        """Every object version and delete marker, then the bucket."""
        s3 = self.client("s3")
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=resource.identifier):
            keys = [
                {"Key": entry["Key"], "VersionId": entry["VersionId"]}
                for entry in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if keys:
                s3.delete_objects(Bucket=resource.identifier, Delete={"Objects": keys, "Quiet": True})
        s3.delete_bucket(Bucket=resource.identifier)

    def delete_log_group(self, resource: Resource) -> None:
        self.client("logs").delete_log_group(logGroupName=resource.identifier)

    def delete_query_definition(self, resource: Resource) -> None:
        self.client("logs").delete_query_definition(queryDefinitionId=resource.details["id"])

    def delete_dashboard(self, resource: Resource) -> None:
        self.client("cloudwatch").delete_dashboards(DashboardNames=[resource.identifier])

    def delete_budget(self, resource: Resource) -> None:
        budgets = self.client("budgets")
        budgets.delete_budget(AccountId=self.discovery.account_id, BudgetName=resource.identifier)

    def delete_alarm(self, resource: Resource) -> None:
        self.client("cloudwatch").delete_alarms(AlarmNames=[resource.identifier])

    def delete_sns_topic(self, resource: Resource) -> None:
        sns = self.client("sns")
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=resource.arn):
            for subscription in page["Subscriptions"]:
                if subscription["SubscriptionArn"].startswith("arn:"):  # not "PendingConfirmation"
                    sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        sns.delete_topic(TopicArn=resource.arn)

    def delete_secret(self, resource: Resource) -> None:
        secrets = self.client("secretsmanager")
        if self.options.force_delete_secrets:
            secrets.delete_secret(SecretId=resource.arn, ForceDeleteWithoutRecovery=True)
            return
        secrets.delete_secret(SecretId=resource.arn, RecoveryWindowInDays=SECRET_RECOVERY_DAYS)
        self.scheduled_secrets.append(resource.identifier)

    def delete_ssm_parameter(self, resource: Resource) -> None:
        self.client("ssm").delete_parameter(Name=resource.identifier)

    # Identity

    def delete_instance_profile(self, resource: Resource) -> None:
        iam = self.client("iam")
        profile = iam.get_instance_profile(InstanceProfileName=resource.identifier)["InstanceProfile"]
        for role in profile["Roles"]:
            iam.remove_role_from_instance_profile(InstanceProfileName=resource.identifier, RoleName=role["RoleName"])
        iam.delete_instance_profile(InstanceProfileName=resource.identifier)

    def delete_iam_role(self, resource: Resource) -> None:
        iam, role = self.client("iam"), resource.identifier
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=name)
        for policy in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
        for profile in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]:
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=role)
        iam.delete_role(RoleName=role)

    # Network

    def delete_flow_log(self, resource: Resource) -> None:
        self.client("ec2").delete_flow_logs(FlowLogIds=[resource.identifier])

    def delete_vpc_endpoint(self, resource: Resource) -> None:
        self.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[resource.identifier])

    def delete_nat_gateway(self, resource: Resource) -> None:
        self.client("ec2").delete_nat_gateway(NatGatewayId=resource.identifier)

    def settle_nat_gateway(self) -> None:
        """A NAT gateway holds its elastic IP and subnet until it is gone."""
        self.wait_until("NAT gateways", lambda: [resource.identifier for resource in self.find("nat_gateway")])

    def delete_network_interface(self, resource: Resource) -> None:
        """Interfaces AWS services made are released by them; only a detached one is deleted here."""
        ec2 = self.client("ec2")

        def attached() -> list[str]:
            try:
                interface = ec2.describe_network_interfaces(NetworkInterfaceIds=[resource.identifier])
            except ClientError as error:
                if is_gone(error):
                    return []
                raise
            status = interface["NetworkInterfaces"][0]["Status"]
            return [] if status == "available" else [f"{resource.identifier} ({status})"]

        self.wait_until("network interfaces", attached)
        ec2.delete_network_interface(NetworkInterfaceId=resource.identifier)

    def delete_elastic_ip(self, resource: Resource) -> None:
        ec2 = self.client("ec2")
        if resource.details.get("association"):
            try:
                ec2.disassociate_address(AssociationId=resource.details["association"])
            except ClientError as error:
                if not is_gone(error):
                    raise
        ec2.release_address(AllocationId=resource.identifier)

    def delete_internet_gateway(self, resource: Resource) -> None:
        ec2 = self.client("ec2")
        for vpc_id in resource.details.get("vpcs", []):
            ec2.detach_internet_gateway(InternetGatewayId=resource.identifier, VpcId=vpc_id)
        ec2.delete_internet_gateway(InternetGatewayId=resource.identifier)

    def delete_subnet(self, resource: Resource) -> None:
        self.client("ec2").delete_subnet(SubnetId=resource.identifier)

    def delete_route_table(self, resource: Resource) -> None:
        ec2 = self.client("ec2")
        for association in resource.details.get("associations", []):
            ec2.disassociate_route_table(AssociationId=association)
        ec2.delete_route_table(RouteTableId=resource.identifier)

    def prepare_security_group(self) -> None:
        """Groups reference each other: every rule of every group goes before the first group."""
        ec2 = self.client("ec2")
        for group in self.find("security_group"):
            rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group.identifier]}])
            ingress = [rule["SecurityGroupRuleId"] for rule in rules["SecurityGroupRules"] if not rule["IsEgress"]]
            egress = [rule["SecurityGroupRuleId"] for rule in rules["SecurityGroupRules"] if rule["IsEgress"]]
            if ingress:
                ec2.revoke_security_group_ingress(GroupId=group.identifier, SecurityGroupRuleIds=ingress)
            if egress:
                ec2.revoke_security_group_egress(GroupId=group.identifier, SecurityGroupRuleIds=egress)

    def delete_security_group(self, resource: Resource) -> None:
        self.client("ec2").delete_security_group(GroupId=resource.identifier)

    def delete_vpc(self, resource: Resource) -> None:
        self.client("ec2").delete_vpc(VpcId=resource.identifier)
