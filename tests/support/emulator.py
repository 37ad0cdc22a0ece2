"""moto server in this process, with the AWS behaviour moto 5.2.5 lacks for our Terraform added.

The infra tests apply the generated Terraform for real against moto on a loopback port. moto
implements most of what the stacks create; where it does not, this module registers the missing
responses or fixes the behaviour on the pinned version, so the Terraform under test stays exactly
what users apply to AWS. Each patch names the gap it closes:

- ElastiCache: a replication group's member clusters (``<id>-001`` ...) are never created, and
  moto names one member whatever ``NumCacheClusters`` says, so the provider fails reading them
  after create (it also reads encryption at rest and security groups from the first member);
  deletes leave the group ``deleting`` forever (the provider waits ~40 minutes);
  ``DeleteCacheSubnetGroup`` is not implemented (HTTP 500).
- ECS: ``CreateService`` drops ``deploymentConfiguration`` (circuit breaker, min/max percent),
  ``enableExecuteCommand``, ``healthCheckGracePeriodSeconds`` and ``availabilityZoneRebalancing``,
  so services drift on re-plan. Kept here; a field not sent reads back as ECS's documented default.
- ECS capacity providers: ``CreateService`` drops ``capacityProviderStrategy`` and records launch type
  ``EC2`` for a service that named none, so a Fargate Spot service reads back as an EC2 one and every
  plan replaces it. A service created with a strategy keeps it and has no launch type, as on AWS.
- EC2: a security-group rule that references another group loses its description; an instance
  launched with a network-interface spec (needed for a public IP) reports no security groups.
- RDS: parameters set with ``ModifyDBParameterGroup`` come back without ``Source: user``, so the
  provider drops them from state and plans to set them again on every run; ``DescribeDBParameters``
  ignores its ``Source`` filter.
- RDS point-in-time restore: every instance has the same ``DbiResourceId`` (the provider finds
  instances by it, so a second instance breaks plans and destroys), automated backups have no
  restore window, and ``RestoreDBInstanceToPointInTime`` accepts any time, both a time and
  ``UseLatestRestorableTime``, and a source without automated backups. Here each instance gets its
  own resource ID, the window runs from the later of creation and the retention period ago to now,
  and a restore outside it fails (``InvalidRestoreFault``), as on AWS.
- S3: bucket policies ignore their conditions, so the TLS-only statement (deny when
  ``aws:SecureTransport`` is false) denies every request; conditions on that key are evaluated
  here as for a TLS request, which is what every request to AWS is. A policy with a condition key
  or operator the emulator cannot evaluate is refused (``NotImplemented``, naming it), never guessed.
- Application Auto Scaling: ``TagResource``/``UntagResource``/``ListTagsForResource`` are missing
  (HTTP 500); the provider calls them whenever default tags are set.
- ACM: a DNS-validated certificate turns ``ISSUED`` 60 s after it is requested, whatever DNS holds.
  Here it is issued when each of its validation CNAME records is in a Route 53 zone of the
  emulator, and stays ``PENDING_VALIDATION`` otherwise (records published elsewhere count as absent).
- ECS task network interfaces: a task of an ``awsvpc`` task definition gets an interface that stays
  ``in-use`` after the task stops, so nothing can delete it; ECS deletes it once the task has
  stopped, and so does this patch.
- CloudWatch dashboards, saved Logs Insights queries and Budgets: see ``emulator_monitoring.py``
  (dashboard bodies validated as AWS does, query definitions added, budget subscribers read back and
  SNS subscribers checked against the topic's policy).

moto's ECS and SSM are API-only: nothing runs a container or a shell command. For the deploy tests
(``ops deploy`` and friends), ``CONTAINER_RUNTIME`` stands in for the container runtime and the SSM
agent, and a test chooses what each container or command does (``Emulator.runtime``):

- ECS tasks: a task started by ``RunTask`` reaches ``STOPPED`` after a few ``DescribeTasks`` calls
  (moto's own state machine) and its container then reports the exit code the runtime table gives
  for its image or command (default 0), with ``stoppedReason`` as ECS sets it; the container's output
  lines go to its ``awslogs`` stream (``prefix/container/task-id``) as the awslogs driver writes them.
- ECS ``RunTask`` fails (HTTP 500) for a Fargate task definition whose containers leave memory to
  the task level, as ours do: moto adds up container memory for EC2 placement. Fargate places
  nothing, so a container without its own memory counts the task's.
- ECS services: ``UpdateService`` leaves moto's single deployment describing the old task definition
  and count, so a service never looks steady on the new revision; here an update collapses the
  deployments into one ``PRIMARY`` deployment of the service's task definition, ``COMPLETED``, with
  ``runningCount = desiredCount`` (what ECS shows once a rollout has finished). ``MOTO_ECS_SERVICE_RUNNING``
  is not needed for that. A service one of whose containers the runtime table makes exit non-zero (by
  its image or command) crashes instead: no task runs, all are pending, the rollout stays ``IN_PROGRESS``.
  moto writes no service events and registers no task in a target group: here each update adds the
  events ECS writes (tasks started, deployment completed, steady state; or unable to start tasks),
  and each running task is one healthy target in the service's target groups (the old ones gone).
- ECS service tasks: moto starts none for a service and ignores ``ListTasks``' ``serviceName``; here
  each update stops the service's tasks and starts ``runningCount`` new ones of its task definition
  (``RUNNING`` until the next update, ``startedBy`` the deployment, ``group`` ``service:NAME``,
  ``enableExecuteCommand`` as the service has it), and ``ListTasks`` filters by service (and, as
  ECS does, lists only tasks whose desired status is ``RUNNING`` unless asked for another), so
  ``ops exec`` finds the task it opens a shell in.
- SSM Run Command: every invocation reports ``Success`` with no output; here it reports the exit code
  and output the runtime table gives for the command text (``Failed`` for a non-zero exit). A
  ``HostShell`` entry runs the script for real with bash, in a directory standing in for the host's
  project directory: its exit code, stdout and stderr are the invocation's. As on AWS, SendCommand
  answers at once and the invocation is ``InProgress`` until the script ends (a script that ran inside
  the request would outlast the client's read timeout, and the client's retry would run it twice).
  moto sends a command that names no ``Targets`` to every instance in the region; here it goes to the
  ``InstanceIds`` it names, as on AWS.

The module must run in the process that serves the requests, hence ``ThreadedMotoServer``.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import moto
from support.emulator_monitoring import patch_monitoring
from support.moto_server import moto_server

PINNED_MOTO_VERSION = "5.2.5"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
# moto's fixed account for the default credentials; the provider asks STS and gets this back.
ACCOUNT_ID = "123456789012"

_patched = False


class EmulatorError(RuntimeError):
    """The emulator cannot be started as the tests need it."""


def _require_pinned_moto() -> None:
    """The patches reach into moto's internals: refuse any other version rather than misbehave."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise EmulatorError(
            f"tests/support/emulator.py patches moto {PINNED_MOTO_VERSION}, found {moto.__version__}; "
            "re-check every patch against the new version before changing the pin"
        )


def _patch_elasticache() -> None:
    """Create member clusters with their group, finish deletes at once, add DeleteCacheSubnetGroup."""
    from moto.core.responses import EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    create_replication_group = ElastiCacheBackend.create_replication_group

    def create_replication_group_with_members(self: ElastiCacheBackend, **kwargs: Any) -> Any:
        group = create_replication_group(self, **kwargs)
        # moto makes one member whatever NumCacheClusters says; the provider counts members.
        for number in range(len(group.member_clusters) + 1, (kwargs.get("num_cache_clusters") or 1) + 1):
            group.member_clusters.append(f"{group.replication_group_id}-{number:03d}")
        zones = kwargs.get("preferred_cache_cluster_azs") or []
        for index, cluster_id in enumerate(group.member_clusters):
            self.cache_clusters[cluster_id] = CacheCluster(
                account_id=self.account_id,
                region_name=self.region_name,
                cache_cluster_id=cluster_id,
                cache_node_type=kwargs["cache_node_type"],
                replication_group_id=group.replication_group_id,
                az_mode="single-az",
                preferred_availability_zone=zones[index] if index < len(zones) else f"{self.region_name}a",
                num_cache_nodes=1,
                engine=kwargs.get("engine") or "redis",
                engine_version=kwargs.get("engine_version"),
                cache_parameter_group_name=kwargs.get("cache_parameter_group_name"),
                cache_subnet_group_name=kwargs.get("cache_subnet_group_name"),
                transit_encryption_enabled=kwargs.get("transit_encryption_enabled"),
                network_type=kwargs.get("network_type"),
                ip_discovery=kwargs.get("ip_discovery"),
                snapshot_name=None,
                preferred_maintenance_window=kwargs.get("preferred_maintenance_window"),
                port=kwargs.get("port"),
                notification_topic_arn=kwargs.get("notification_topic_arn"),
                auto_minor_version_upgrade=kwargs.get("auto_minor_version_upgrade"),
                snapshot_retention_limit=kwargs.get("snapshot_retention_limit"),
                snapshot_window=kwargs.get("snapshot_window"),
                auth_token=kwargs.get("auth_token"),
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=zones,
                cache_security_group_names=kwargs.get("cache_security_group_names"),
                security_group_ids=kwargs.get("security_group_ids"),
                tags=[],
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            # The provider reads these from the first member cluster, not from the group.
            member = self.cache_clusters[cluster_id]
            member.at_rest_encryption_enabled = bool(kwargs.get("at_rest_encryption_enabled"))
            member.security_groups = [
                {"SecurityGroupId": group_id, "Status": "active"} for group_id in kwargs.get("security_group_ids") or []
            ]
        return group

    delete_replication_group = ElastiCacheBackend.delete_replication_group

    def delete_replication_group_at_once(
        self: ElastiCacheBackend, replication_group_id: str, retain_primary_cluster: bool | None
    ) -> Any:
        members = (
            list(self.replication_groups[replication_group_id].member_clusters)
            if (replication_group_id in self.replication_groups)
            else []
        )
        group = delete_replication_group(self, replication_group_id, retain_primary_cluster)
        del self.replication_groups[replication_group_id]
        for cluster_id in members + [f"{replication_group_id}-{index:03d}" for index in range(1, 7)]:
            self.cache_clusters.pop(cluster_id, None)
        return group

    def delete_cache_subnet_group(self: ElastiCacheBackend, cache_subnet_group_name: str) -> None:
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(cache_subnet_group_name)
        del self.cache_subnet_groups[cache_subnet_group_name]

    def delete_cache_subnet_group_response(self: ElastiCacheResponse) -> EmptyResult:
        self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    ElastiCacheBackend.create_replication_group = create_replication_group_with_members  # type: ignore[method-assign]
    ElastiCacheBackend.delete_replication_group = delete_replication_group_at_once  # type: ignore[method-assign]
    ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group  # type: ignore[attr-defined]
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group_response  # type: ignore[attr-defined]


# What ECS reports for a REPLICA service created without these fields (ECS API reference,
# CreateService: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
# and its example responses, also in botocore's data/ecs/2014-11-13/examples-1.json).
ECS_DEPLOYMENT_DEFAULTS: dict[str, Any] = {
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
}
# "For create service requests, when no value is specified ... Amazon ECS defaults the value to ENABLED."
ECS_AZ_REBALANCING_DEFAULT = "ENABLED"


def _patch_ecs() -> None:
    """Keep the CreateService fields moto drops, so a re-plan sees what was applied."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    create_service = EC2ContainerServiceResponse.create_service

    def create_service_keeping_fields(self: EC2ContainerServiceResponse) -> Any:
        result = create_service(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        # Fields left out of a deploymentConfiguration take their defaults, as on ECS.
        service.deployment_configuration = {
            **ECS_DEPLOYMENT_DEFAULTS,
            **(self._get_param("deploymentConfiguration") or {}),
        }
        service.enable_execute_command = bool(self._get_param("enableExecuteCommand", False))
        service.availability_zone_rebalancing = (
            self._get_param("availabilityZoneRebalancing") or ECS_AZ_REBALANCING_DEFAULT
        )
        grace_period = self._get_param("healthCheckGracePeriodSeconds")
        if grace_period is None and self._get_param("loadBalancers"):
            # "If you do not specify a health check grace period value, the default value of 0 is used."
            grace_period = 0
        if grace_period is not None:
            service.health_check_grace_period_seconds = int(grace_period)
        return result

    EC2ContainerServiceResponse.create_service = create_service_keeping_fields  # type: ignore[method-assign]


def _patch_ecs_capacity_provider_strategy() -> None:
    """A service created with a capacity provider strategy keeps it, with no launch type."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    create_service = EC2ContainerServiceResponse.create_service

    def create_service_with_strategy(self: EC2ContainerServiceResponse) -> Any:
        result = create_service(self)
        strategy = self._get_param("capacityProviderStrategy")
        if strategy and not self._get_param("launchType"):
            service = self.ecs_backend._get_service(
                self._get_param("cluster", "default"), self._get_param("serviceName")
            )
            service.capacity_provider_strategy = [
                {
                    "capacityProvider": entry["capacityProvider"],
                    "weight": entry.get("weight", 0),
                    "base": entry.get("base", 0),
                }
                for entry in strategy
            ]
            service.launch_type = None
            for deployment in service.deployments:
                deployment.pop("launchType", None)
                deployment["capacityProviderStrategy"] = service.capacity_provider_strategy
        return result

    EC2ContainerServiceResponse.create_service = create_service_with_strategy  # type: ignore[method-assign]


def _patch_ec2() -> None:
    """Describe group-referencing rules with their description; report an instance's ENI groups."""
    from moto.ec2.models.instances import InstanceBackend
    from moto.ec2.models.security_groups import SecurityGroupRule

    run_instances = InstanceBackend.run_instances

    def run_instances_reporting_groups(self: InstanceBackend, *args: Any, **kwargs: Any) -> Any:
        reservation = run_instances(self, *args, **kwargs)
        for instance in reservation.instances:
            primary = instance.nics.get(0)
            if not instance.security_groups and primary is not None:
                instance.security_groups = list(primary._group_set)
        return reservation

    InstanceBackend.run_instances = run_instances_reporting_groups  # type: ignore[method-assign]

    def description(self: SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[method-assign,assignment]


def _patch_rds() -> None:
    """Mark parameters set through ModifyDBParameterGroup as user-set, as RDS does; filter by Source."""
    from moto.core.responses import ActionResult
    from moto.rds.models import DBParameterGroup
    from moto.rds.responses import RDSResponse

    update_parameters = DBParameterGroup.update_parameters

    def update_parameters_from_user(self: DBParameterGroup, new_parameters: Any) -> None:
        update_parameters(self, [{**parameter, "Source": "user"} for parameter in new_parameters])

    describe_db_parameters = RDSResponse.describe_db_parameters

    def describe_db_parameters_of_source(self: RDSResponse) -> ActionResult:
        # moto ignores Source: DescribeDBParameters(Source="engine-default") listed the user's parameters too.
        result = describe_db_parameters(self)
        source = self.params.get("Source")
        if not source:
            return result
        parameters = result.result["Parameters"]  # type: ignore[index]
        return ActionResult(
            {"Parameters": [parameter for parameter in parameters if parameter.get("Source") == source]}
        )

    DBParameterGroup.update_parameters = update_parameters_from_user  # type: ignore[method-assign]
    RDSResponse.describe_db_parameters = describe_db_parameters_of_source  # type: ignore[method-assign]


def _restore_window(instance: Any) -> tuple[datetime, datetime]:
    """An instance's point-in-time restore window: from creation (or the retention period ago) to now."""
    from datetime import timedelta

    from moto.core.utils import utcnow

    now = utcnow()
    retention = timedelta(days=int(instance.backup_retention_period or 0))
    return max(instance.instance_create_time, now - retention), now


def _patch_rds_point_in_time() -> None:
    """Own resource IDs, restore windows on automated backups, restore times checked against them."""
    from moto.rds.exceptions import InvalidParameterCombination, RDSClientError
    from moto.rds.models import DBInstance, DBInstanceAutomatedBackup, RDSBackend

    def fresh_resource_id() -> str:
        return "db-" + uuid.uuid4().hex[:26].upper()

    instance_init = DBInstance.__init__

    def init_with_own_resource_id(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        instance_init(self, *args, **kwargs)
        self.dbi_resource_id = fresh_resource_id()

    def restore_window(self: DBInstanceAutomatedBackup) -> dict[str, datetime] | None:
        instance = self.backend.databases.get(self.db_instance_identifier)
        if instance is None:
            return None
        earliest, latest = _restore_window(instance)
        return {"EarliestTime": earliest, "LatestTime": latest}

    def backup_retention_period(self: DBInstanceAutomatedBackup) -> int | None:
        instance = self.backend.databases.get(self.db_instance_identifier)
        return None if instance is None else int(instance.backup_retention_period or 0)

    restore = RDSBackend.restore_db_instance_to_point_in_time

    def restore_within_window(
        self: RDSBackend, source_db_identifier: str, target_db_identifier: str, overrides: dict[str, Any]
    ) -> Any:
        source = self.describe_db_instances(db_instance_identifier=source_db_identifier)[0]
        restore_time = overrides.get("restore_time")
        if restore_time is not None and overrides.get("use_latest_restorable_time"):
            raise InvalidParameterCombination("Cannot specify both RestoreTime and UseLatestRestorableTime")
        if not source.backup_retention_period:
            raise RDSClientError(
                "PointInTimeRestoreNotEnabled", f"{source_db_identifier} has no automated backups to restore from"
            )
        earliest, latest = _restore_window(source)
        if restore_time is not None and not earliest <= restore_time <= latest:
            raise RDSClientError(
                "InvalidRestoreFault",
                f"Restore time {restore_time.isoformat()} is outside the restorable window "
                f"{earliest.isoformat()} to {latest.isoformat()}",
            )
        # The restore copies the source's attributes into a new DBInstance, whose __init__ (above) gives
        # it its own resource ID.
        return restore(self, source_db_identifier, target_db_identifier, overrides)

    DBInstance.__init__ = init_with_own_resource_id  # type: ignore[method-assign]
    DBInstanceAutomatedBackup.restore_window = property(restore_window)  # type: ignore[attr-defined]
    DBInstanceAutomatedBackup.backup_retention_period = property(backup_retention_period)  # type: ignore[attr-defined]
    RDSBackend.restore_db_instance_to_point_in_time = restore_within_window  # type: ignore[method-assign]


# What every request to the emulator looks like to a bucket policy: it stands in for AWS's TLS
# endpoints, though it listens on plain HTTP on loopback.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}
# Condition operators evaluated here, and whether each matches case-insensitively and negates
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
_CONDITION_OPERATORS = {
    "Bool": (True, False),
    "StringEquals": (False, False),
    "StringEqualsIgnoreCase": (True, False),
    "StringNotEquals": (False, True),
    "StringNotEqualsIgnoreCase": (True, True),
}


class UnsupportedPolicyCondition(EmulatorError):
    """A bucket-policy condition the emulator cannot evaluate; guessing would make S3 allow or deny wrongly."""


def _condition_holds(condition: dict[str, dict[str, Any]]) -> bool:
    """Whether a policy Condition holds for REQUEST_CONTEXT; any other operator or key raises."""
    for operator, entries in condition.items():
        if operator not in _CONDITION_OPERATORS:
            raise UnsupportedPolicyCondition(
                f"bucket-policy condition operator {operator} is not evaluated by the emulator "
                f"(it evaluates {', '.join(sorted(_CONDITION_OPERATORS))}); extend tests/support/emulator.py"
            )
        ignore_case, negated = _CONDITION_OPERATORS[operator]
        for key, expected in entries.items():
            if key not in REQUEST_CONTEXT:
                raise UnsupportedPolicyCondition(
                    f"bucket-policy condition key {key} is not evaluated by the emulator "
                    f"(it knows {', '.join(sorted(REQUEST_CONTEXT))}); extend REQUEST_CONTEXT in emulator.py"
                )
            fold = str.lower if ignore_case else str
            values = {fold(str(value)) for value in (expected if isinstance(expected, list) else [expected])}
            if (fold(REQUEST_CONTEXT[key]) in values) == negated:
                return False
    return True


def _patch_s3() -> None:
    """Evaluate bucket-policy conditions on aws:SecureTransport; refuse policies with conditions it cannot."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import FakeBucket, S3Backend

    def statements_of(policy: dict[str, Any]) -> list[dict[str, Any]]:
        return policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        applicable = [
            {key: value for key, value in statement.items() if key != "Condition"}
            for statement in statements_of(policy)
            if _condition_holds(statement.get("Condition", {}))
        ]
        if not applicable:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": applicable})).is_action_permitted(action, resource)

    put_bucket_policy = S3Backend.put_bucket_policy

    def put_bucket_policy_it_can_evaluate(self: S3Backend, bucket_name: str, policy: bytes) -> None:
        # Checked when the policy is set, so the caller sees which condition, not a failing GetObject later.
        try:
            for statement in statements_of(json.loads(policy)):
                _condition_holds(statement.get("Condition", {}))
        except UnsupportedPolicyCondition as error:
            raise S3ClientError("NotImplemented", str(error)) from error
        put_bucket_policy(self, bucket_name, policy)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    S3Backend.put_bucket_policy = put_bucket_policy_it_can_evaluate  # type: ignore[method-assign]


def _patch_application_autoscaling() -> None:
    """Add the tagging calls the AWS provider makes for scalable targets."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.utilities.tagging_service import TaggingService

    def tagging(self: ApplicationAutoscalingBackend) -> TaggingService:
        if not hasattr(self, "_djaws_tags"):
            self._djaws_tags = TaggingService()  # type: ignore[attr-defined]
        return self._djaws_tags  # type: ignore[attr-defined]

    register_scalable_target = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target_with_tags(self: ApplicationAutoScalingResponse) -> str:
        body = register_scalable_target(self)
        tags = self._get_param("Tags") or {}
        if tags:
            tagging(self.applicationautoscaling_backend).tag_resource(
                json.loads(body)["ScalableTargetARN"], [{"Key": key, "Value": value} for key, value in tags.items()]
            )
        return body

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags = self._get_param("Tags") or {}
        tagging(self.applicationautoscaling_backend).tag_resource(
            self._get_param("ResourceARN"), [{"Key": key, "Value": value} for key, value in tags.items()]
        )
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        tagging(self.applicationautoscaling_backend).untag_resource_using_names(
            self._get_param("ResourceARN"), self._get_param("TagKeys") or []
        )
        return "{}"

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        tags = tagging(self.applicationautoscaling_backend).get_tag_dict_for_resource(self._get_param("ResourceARN"))
        return json.dumps({"Tags": tags})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target_with_tags  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ContainerOutcome:
    """What one container (or one shell command) does when it runs: its exit code and output lines."""

    exit_code: int = 0
    output: tuple[str, ...] = ()
    # Standard error of a shell command (SSM reports it apart from the output).
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostShell:
    """The host behind SSM Run Command: runs a command's script for real, in ``directory``, with ``environment``."""

    directory: Path
    environment: dict[str, str]
    timeout: float = 300

    def run(self, script: str) -> ContainerOutcome:
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.directory,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        return ContainerOutcome(result.returncode, tuple(result.stdout.splitlines()), tuple(result.stderr.splitlines()))


@dataclass
class ContainerRuntime:
    """Stands in for the container runtime and SSM agent moto lacks; tests choose each outcome.

    ``outcomes`` maps a text to an outcome: the first text found in a container's image or command
    (or in an SSM command's script) decides what it does; anything else exits 0 with no output.
    """

    outcomes: dict[str, ContainerOutcome | HostShell] = field(default_factory=dict)

    def host_shell_for(self, script: str) -> HostShell | None:
        """The HostShell that runs this script, if the first table entry it matches is one."""
        for key, outcome in self.outcomes.items():
            if key in script:
                return outcome if isinstance(outcome, HostShell) else None
        return None

    def outcome_for(self, *texts: str) -> ContainerOutcome:
        """The outcome of the first table entry found in any of the texts (a HostShell runs the first text)."""
        for key, outcome in self.outcomes.items():
            if any(key in text for text in texts):
                return outcome.run(texts[0]) if isinstance(outcome, HostShell) else outcome
        return ContainerOutcome()


CONTAINER_RUNTIME = ContainerRuntime()


def _write_container_logs(task: Any, container_definition: dict[str, Any], lines: tuple[str, ...]) -> None:
    """Put a container's output into its awslogs stream, as the awslogs log driver does."""
    from moto.logs.models import logs_backends

    log_configuration = container_definition.get("logConfiguration") or {}
    options = log_configuration.get("options") or {}
    if log_configuration.get("logDriver") != "awslogs" or not lines:
        return
    logs = logs_backends[task._account_id][task.region_name]
    group = options["awslogs-group"]
    stream = f"{options['awslogs-stream-prefix']}/{container_definition['name']}/{task.id}"
    if group not in logs.groups:
        return
    logs.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        group, stream, [{"timestamp": now + index, "message": line} for index, line in enumerate(lines)]
    )


# ECS keeps a service's last 100 events, newest first.
SERVICE_EVENTS_KEPT = 100
_task_addresses = itertools.count(2)


def _record_service_events(service: Any, deployment_id: str, crashing: bool) -> None:
    """The events ECS writes while a deployment starts its tasks and ends (or keeps failing)."""
    tasks = " ".join(f"(task {uuid.uuid4().hex})" for _ in range(service.desired_count))
    messages = [f"(service {service.name}) has started {service.desired_count} tasks: {tasks}."]
    if crashing:
        messages.append(f"(service {service.name}) is unable to consistently start tasks successfully.")
    else:
        messages += [
            f"(service {service.name}) deployment {deployment_id} deployment completed.",
            f"(service {service.name}) has reached a steady state.",
        ]
    now = datetime.now(UTC)
    events = [{"id": str(uuid.uuid4()), "createdAt": now, "message": message} for message in reversed(messages)]
    service.events = (events + service.events)[:SERVICE_EVENTS_KEPT]


def _register_service_targets(service: Any, running: int) -> None:
    """One healthy target per running task in each of the service's target groups, the old tasks' gone."""
    from moto.elbv2.models import elbv2_backends

    load_balancing = elbv2_backends[service._account_id][service.region_name]
    for entry in service.load_balancers:
        group = load_balancing.target_groups.get(entry.get("targetGroupArn"))
        if group is None:
            continue
        group.targets.clear()
        addresses = [next(_task_addresses) for _ in range(running)]
        group.register(
            [{"Id": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", "Port": entry["containerPort"]} for n in addresses]
        )


def _patch_ecs_runtime() -> None:
    """One-off tasks stop with the runtime table's exit code; service updates finish their rollout (or
    crash), with ECS's events and the running tasks as load-balancer targets."""
    from moto.ecs.models import EC2ContainerServiceBackend, Task

    task_init = Task.__init__

    def task_init_with_outcome(self: Task, *args: Any, **kwargs: Any) -> None:
        task_init(self, *args, **kwargs)
        definition = kwargs["task_definition"]
        container_definition = definition.container_definitions[0]
        overrides = {entry.get("name"): entry for entry in (self.overrides or {}).get("containerOverrides", [])}
        command = overrides.get(container_definition["name"], {}).get("command") or container_definition.get(
            "command", []
        )
        self._djaws_outcome = CONTAINER_RUNTIME.outcome_for(container_definition["image"], " ".join(command))
        _write_container_logs(self, container_definition, self._djaws_outcome.output)

    advance = Task.advance

    def advance_to_outcome(self: Task) -> None:
        # DescribeTasks advances a task one state; once it reads STOPPED, its container has exited.
        advance(self)
        if self.status == "STOPPED" and hasattr(self, "_djaws_outcome"):
            for container in self.containers:
                container.exitCode = self._djaws_outcome.exit_code
                container.last_status = "STOPPED"
            self.desired_status = "STOPPED"
            self.stopped_reason = self.stopped_reason or "Essential container in task exited"

    calculate_requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements_with_task_memory(task_definition: Any) -> dict[str, Any]:
        if all(container.get("memory") is None for container in task_definition.container_definitions):
            task_memory = int(task_definition.memory or 0)
            return {"CPU": int(task_definition.cpu or 0), "MEMORY": task_memory, "PORTS": [], "PORTS_UDP": []}
        return calculate_requirements(task_definition)

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements_with_task_memory)  # type: ignore[method-assign,assignment]
    Task.__init__ = task_init_with_outcome  # type: ignore[method-assign]
    Task.advance = advance_to_outcome  # type: ignore[method-assign]

    update_service = EC2ContainerServiceBackend.update_service

    def update_service_to_steady_state(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        service = update_service(self, service_properties)
        if service.deployment_controller.get("type", "ECS") == "ECS":
            # Every container is essential: the task crashes when any of them exits non-zero.
            containers = self.describe_task_definition(service.task_definition).container_definitions
            crashing = any(
                CONTAINER_RUNTIME.outcome_for(container["image"], " ".join(container.get("command") or [])).exit_code
                for container in containers
            )
            running = 0 if crashing else service.desired_count
            previous = service.deployments[0] if service.deployments else {}
            service.running_count, service.pending_count = running, service.desired_count - running
            deployment_id = f"ecs-svc/{int(time.time() * 1e6)}"
            rollout = "IN_PROGRESS" if crashing else "COMPLETED"
            service.deployments = [
                {
                    **previous,
                    "id": deployment_id,
                    "status": "PRIMARY",
                    "taskDefinition": service.task_definition,
                    "desiredCount": service.desired_count,
                    "runningCount": running,
                    "pendingCount": service.desired_count - running,
                    "failedTasks": service.desired_count if crashing else 0,
                    "rolloutState": rollout,
                    "rolloutStateReason": f"ECS deployment {deployment_id} {rollout.lower().replace('_', ' ')}.",
                    "updatedAt": datetime.now(UTC),
                }
            ]
            _record_service_events(service, deployment_id, crashing)
            _register_service_targets(service, running)
        return service

    EC2ContainerServiceBackend.update_service = update_service_to_steady_state  # type: ignore[method-assign]


def _patch_ssm_runtime() -> None:
    """Run Command invocations report the runtime table's exit code and output for their script; a HostShell's
    script runs in a thread, the invocation InProgress until it ends; a command runs on the instances it names."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from moto.ssm.models import Command

    invocation_response = Command.invocation_response
    get_invocation = Command.get_invocation
    # One thread per running host script; (command id, instance id) -> the script's outcome to come.
    running: dict[tuple[str, str], Future[ContainerOutcome]] = {}
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="host-shell")

    def finish(invocation: dict[str, Any], outcome: ContainerOutcome) -> None:
        status = "Success" if outcome.exit_code == 0 else "Failed"
        invocation.update(
            ResponseCode=outcome.exit_code,
            Status=status,
            StatusDetails=status,
            StandardOutputContent="".join(f"{line}\n" for line in outcome.output),
            StandardErrorContent="".join(f"{line}\n" for line in outcome.errors),
        )

    def invocation_with_outcome(self: Command, instance_id: str, plugin_name: str) -> dict[str, Any]:
        invocation = invocation_response(self, instance_id, plugin_name)
        script = "\n".join((self.parameters or {}).get("commands", []))
        shell = CONTAINER_RUNTIME.host_shell_for(script)
        if shell is None:
            finish(invocation, CONTAINER_RUNTIME.outcome_for(script))
        else:
            running[(self.command_id, instance_id)] = executor.submit(shell.run, script)
            invocation.update(Status="InProgress", StatusDetails="InProgress", ResponseCode=-1)
        return invocation

    def invocation_when_done(self: Command, instance_id: str, plugin_name: str | None) -> dict[str, Any]:
        invocation = get_invocation(self, instance_id, plugin_name)
        future = running.get((self.command_id, instance_id))
        if future is not None and future.done():
            running.pop((self.command_id, instance_id), None)
            finish(invocation, future.result())
        return invocation

    def instance_ids_from_targets(self: Command) -> list[str]:
        # moto filters EC2 by an empty dict when the command names no Targets, so a command sent to one
        # instance ran on every instance in the region; SSM takes InstanceIds or Targets, never both.
        return target_instance_ids(self) if self.targets else []

    target_instance_ids = Command._get_instance_ids_from_targets
    Command.invocation_response = invocation_with_outcome  # type: ignore[method-assign]
    Command.get_invocation = invocation_when_done  # type: ignore[method-assign]
    Command._get_instance_ids_from_targets = instance_ids_from_targets  # type: ignore[method-assign]


def _validation_records_published(bundle: Any) -> bool:
    """True when every CNAME ACM asks for is in one of the emulator's Route 53 zones."""
    from moto.route53.models import route53_backends

    account_id = bundle.arn.split(":")[4]
    published = {
        (record.name.rstrip(".").lower(), str(value).rstrip(".").lower())
        for zone in route53_backends[account_id]["aws"].zones.values()
        for record in zone.rrsets
        if record.type == "CNAME"
        for value in record.records
    }
    options = bundle.describe()["Certificate"].get("DomainValidationOptions", [])
    return bool(options) and all(
        (option["ResourceRecord"]["Name"].rstrip(".").lower(), option["ResourceRecord"]["Value"].rstrip(".").lower())
        in published
        for option in options
    )


def _patch_acm() -> None:
    """A requested certificate is issued once its validation records resolve, as ACM does."""
    from moto.acm.models import CertBundle
    from moto.core.utils import utcnow

    def check(self: Any) -> None:
        if self._not_valid_after(self._cert) <= utcnow():
            self.status = "EXPIRED"
            return
        if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION" and _validation_records_published(self):
            self.status = "ISSUED"

    CertBundle.check = check  # type: ignore[method-assign]


def _patch_ecs_service_tasks() -> None:
    """Services run tasks: each update replaces them with ``runningCount`` new ones; ListTasks filters by service."""
    from moto.ecs.models import EC2ContainerServiceBackend, Task

    # A task a service started stays RUNNING until the service replaces it: DescribeTasks does not
    # move it along the lifecycle as it does one-off tasks.
    advance = Task.advance

    def advance_unless_service_task(self: Task) -> None:
        if not getattr(self, "_djaws_service_task", False):
            advance(self)

    update_service = EC2ContainerServiceBackend.update_service

    def update_service_replacing_tasks(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        service = update_service(self, service_properties)
        if service.deployment_controller.get("type", "ECS") != "ECS":
            return service
        group = f"service:{service.name}"
        cluster_tasks = self.tasks.setdefault(service.cluster_name, {})
        deployment = (service.deployments[0] if service.deployments else {}).get("id", "ecs-svc/0")
        for task in cluster_tasks.values():
            if task.group == group and task.desired_status == "RUNNING":
                task.status = task.desired_status = "STOPPED"
                task.stopped_reason = f"Task stopped by Amazon ECS: replaced by deployment {deployment}"
        definition = self.describe_task_definition(service.task_definition)
        for _ in range(service.running_count):
            task = Task(
                cluster=self._get_cluster(service.cluster_name),
                task_definition=definition,
                container_instance_arn=None,
                resource_requirements=None,
                backend=self,
                group=group,
                started_by=deployment,
                launch_type="FARGATE",
                networking_configuration=service.network_configuration,
            )
            task._djaws_service_task = True
            task.enable_execute_command = bool(getattr(service, "enable_execute_command", False))
            task.started_at = datetime.now(UTC)
            cluster_tasks[task.task_arn] = task
        return service

    list_tasks = EC2ContainerServiceBackend.list_tasks

    def list_tasks_of_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> list[Any]:
        tasks = list_tasks(self, *args, **kwargs)
        service_name = kwargs.get("service_name") if "service_name" in kwargs else (args[4] if len(args) > 4 else None)
        desired = kwargs.get("desiredStatus") if "desiredStatus" in kwargs else (args[5] if len(args) > 5 else None)
        # API reference, ListTasks desiredStatus: "The default status filter is RUNNING".
        return [
            task
            for task in tasks
            if (not service_name or task.group == f"service:{service_name}")
            and (desired or task.desired_status == "RUNNING")
        ]

    Task.advance = advance_unless_service_task  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service_replacing_tasks  # type: ignore[method-assign]
    EC2ContainerServiceBackend.list_tasks = list_tasks_of_service  # type: ignore[method-assign]


def _patch_ecs_task_network_interfaces() -> None:
    """Delete a task's network interface once the task reads STOPPED, however it got there."""
    from moto.ec2.models import ec2_backends
    from moto.ecs.models import Task
    from moto.moto_api._internal.managed_state_model import ManagedState

    managed_status = ManagedState.status

    def release_interfaces(task: Task) -> None:
        if task._status != "STOPPED" or getattr(task, "_djaws_interfaces_released", False):
            return
        task._djaws_interfaces_released = True  # type: ignore[attr-defined]
        interfaces = ec2_backends[task._account_id][task.region_name].enis
        for attachment in task.attachments:
            for detail in attachment.get("details", []):
                if detail["name"] == "networkInterfaceId":
                    interfaces.pop(detail["value"], None)

    def get_status(self: Task) -> str | None:
        value = managed_status.fget(self)  # type: ignore[attr-defined]
        release_interfaces(self)
        return value  # type: ignore[no-any-return]

    def set_status(self: Task, value: str) -> None:
        managed_status.fset(self, value)  # type: ignore[attr-defined]
        release_interfaces(self)

    Task.status = property(get_status, set_status)  # type: ignore[assignment,method-assign]


def patch_moto() -> None:
    """Apply every patch once per process."""
    global _patched
    if _patched:
        return
    _require_pinned_moto()
    _patch_elasticache()
    _patch_ecs()
    _patch_ecs_capacity_provider_strategy()
    _patch_ec2()
    _patch_rds()
    _patch_rds_point_in_time()
    _patch_s3()
    _patch_application_autoscaling()
    _patch_acm()
    _patch_ecs_runtime()
    _patch_ssm_runtime()
    _patch_ecs_service_tasks()
    _patch_ecs_task_network_interfaces()
    patch_monitoring()
    _patched = True


@dataclass
class Emulator:
    """A running moto server and how to reach it."""

    endpoint: str
    region: str
    # What containers and SSM commands do when they "run" (see the module docstring).
    runtime: ContainerRuntime = field(default_factory=lambda: CONTAINER_RUNTIME)

    def client(self, service: str) -> Any:
        """A boto3 client for this emulator."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


@contextmanager
def running_emulator(region: str) -> Iterator[Emulator]:
    """Start the patched moto server on a loopback port for the duration of the block."""
    # AWS-managed policies (the EC2 host attaches AmazonSSMManagedInstanceCore).
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    patch_moto()
    with moto_server() as server:
        yield Emulator(endpoint=server.endpoint, region=region)
