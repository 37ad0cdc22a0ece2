"""Database backups and restores of an environment.

EC2: the host's PostgreSQL is dumped to the media bucket (output ``database_backups``) by
deploy/ec2/backup-db.sh, nightly from cron or now through SSM; the bucket's lifecycle rule expires
the dumps. deploy/ec2/restore-db.sh restores one on the host, after a safety dump of its own.

ECS: RDS keeps automated backups for ``db_backup_retention_days`` and restores to any second of
that window into a new instance; a manual snapshot is kept until someone deletes it. A restore never
touches the running instance: switching the app over is a handful of commands this module prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops import host
from ops.environment import Environment, poll_seconds, step
from ops.errors import OpsError, UsageError

BACKUP_SCRIPT = "deploy/ec2/backup-db.sh"
RESTORE_SCRIPT = "deploy/ec2/restore-db.sh"
# restore-db.sh names its safety dumps so; `--from latest` passes over them.
SAFETY_SUFFIX = "-before-restore.dump"
# RDS instance identifiers: at most 63 characters.
RDS_IDENTIFIER_LENGTH = 63


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A UTC time as RDS identifiers allow it (letters, digits, single hyphens): 20260102-030405."""
    return moment.astimezone(UTC).strftime("%Y%m%d-%H%M%S")


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def age(moment: datetime, now: datetime) -> str:
    """How long ago: ``3d 4h``, ``4h 12m`` or ``12m``."""
    seconds = max(int((now - moment).total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def size_text(size: int) -> str:
    """``812 B``, ``3.4 MiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def confirm(environment_name: str, given: str | None, ask: Any) -> None:
    """A restore replaces data: the words ``restore ENV``, typed or passed, or nothing happens."""
    expected = f"restore {environment_name}"
    answer = given if given is not None else ask(f'Type "{expected}" to replace the database of {environment_name}: ')
    if answer.strip() != expected:
        raise UsageError(f'not restoring {environment_name}: the confirmation must read "{expected}"')


# --- EC2: dumps in the media bucket --------------------------------------------------------------


@dataclass(frozen=True)
class Dump:
    """One dump object under the backup prefix."""

    key: str
    size: int
    modified: datetime

    @property
    def is_safety_dump(self) -> bool:
        return self.key.endswith(SAFETY_SUFFIX)


class HostBackups:
    """The EC2 host's dumps: made and restored on the host, listed from the bucket."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        location = environment.outputs["database_backups"]
        self.bucket: str = location["bucket"]
        self.prefix: str = location["prefix"]
        self.expiry_days = int(location["expiry_days"])
        self.s3 = environment.aws.client("s3")

    def dumps(self) -> list[Dump]:
        """Every dump, newest first."""
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for entry in page.get("Contents", []):
                if entry["Key"].endswith(".dump"):
                    found.append(Dump(entry["Key"], int(entry["Size"]), entry["LastModified"]))
        return sorted(found, key=lambda dump: (dump.modified, dump.key), reverse=True)

    def resolve(self, name: str) -> str:
        """The key of ``latest`` (the newest dump that is not a safety dump), a key, or a file name."""
        if name == "latest":
            newest = next((dump for dump in self.dumps() if not dump.is_safety_dump), None)
            if newest is None:
                raise UsageError(f"no dump in s3://{self.bucket}/{self.prefix} yet: make one with `ops backup`")
            return newest.key
        key = name if name.startswith(self.prefix) else self.prefix + name.removeprefix("/")
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except self.s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise UsageError(
                    f"no dump {key} in s3://{self.bucket}: `ops backups --env {self.environment.name}` lists them"
                ) from error
            raise
        return key

    def backup(self, timeout: float) -> dict[str, Any]:
        """Run backup-db.sh on the host now; its report (uri, key, bytes)."""
        result = host.run_on_host(self.environment, ["bash", BACKUP_SCRIPT], timeout)
        if result.exit_code != 0 or "uri" not in result.report:
            last = result.output[-1] if result.output else result.status
            raise OpsError(f"{BACKUP_SCRIPT} failed on the host (exit {result.exit_code}): {last}")
        return result.report

    def restore(self, key: str, timeout: float) -> dict[str, Any]:
        """Run restore-db.sh KEY on the host; its report, or one line saying what failed and how to get back."""
        result = host.run_on_host(self.environment, ["bash", RESTORE_SCRIPT, key], timeout)
        report = result.report
        if result.exit_code == 0 and report.get("status") == "restored":
            return report
        failed = report.get("failed") or (result.output[-1] if result.output else result.status)
        message = f"restoring {key} failed on the host (exit {result.exit_code}): {failed}"
        if report.get("database_changed") is True:
            raise OpsError(
                f"{message}; the database holds {key} now, the dump taken just before is "
                f"{report['safety_dump']}: `ops restore --env {self.environment.name} --from {report['safety_dump']}`"
            )
        raise OpsError(f"{message}; the database is unchanged")


# --- ECS: RDS snapshots and point-in-time restore ------------------------------------------------


@dataclass(frozen=True)
class RestoreWindow:
    """The seconds RDS can restore the instance to, and how many days of automated backups it keeps."""

    earliest: datetime
    latest: datetime
    retention_days: int


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise UsageError(f"--to-time {text!r}: give an ISO 8601 time (2026-01-02T03:04:05Z) or latest") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_identifier(base: str, kind: str, moment: datetime) -> str:
    """``<base>-<kind>-<UTC time>``, the base shortened to keep it within RDS's 63 characters."""
    suffix = f"-{kind}-{stamp(moment)}"
    return base[: RDS_IDENTIFIER_LENGTH - len(suffix)].rstrip("-") + suffix


class DatabaseBackups:
    """The environment's RDS instance: its snapshots, its restore window, restores into a new instance."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.instance_id: str = environment.project.environment_names(environment.name)["rds_instance"]
        self.rds = environment.aws.client("rds")

    def instance(self, identifier: str | None = None) -> dict[str, Any]:
        identifier = identifier or self.instance_id
        try:
            return dict(self.rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0])
        except self.rds.exceptions.DBInstanceNotFoundFault as error:
            raise OpsError(f"no database instance {identifier} in {self.environment.name}") from error

    def snapshots(self) -> list[dict[str, Any]]:
        """Manual and automated snapshots of the instance, newest first."""
        found: list[dict[str, Any]] = []
        for page in self.rds.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=self.instance_id):
            found.extend(page["DBSnapshots"])
        return sorted(found, key=lambda snapshot: snapshot.get("SnapshotCreateTime") or utc_now(), reverse=True)

    def window(self) -> RestoreWindow | None:
        """The point-in-time restore window, or None without automated backups (retention 0)."""
        instance = self.instance()
        retention = int(instance.get("BackupRetentionPeriod") or 0)
        backups = self.rds.describe_db_instance_automated_backups(DBInstanceIdentifier=self.instance_id)
        active = [entry for entry in backups["DBInstanceAutomatedBackups"] if entry.get("Status") == "active"]
        if retention == 0 or not active or "RestoreWindow" not in active[0]:
            return None
        restore_window = active[0]["RestoreWindow"]
        latest = instance.get("LatestRestorableTime") or restore_window["LatestTime"]
        return RestoreWindow(as_utc(restore_window["EarliestTime"]), as_utc(latest), retention)

    def snapshot(self, timeout: float) -> dict[str, Any]:
        """A manual snapshot of the instance now, once it is available."""
        identifier = new_identifier(self.instance_id, "manual", utc_now())
        step(f"creating snapshot {identifier} of {self.instance_id}")
        self.rds.create_db_snapshot(DBInstanceIdentifier=self.instance_id, DBSnapshotIdentifier=identifier)
        return self._wait(
            lambda: self.rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0],
            f"snapshot {identifier}",
            timeout,
        )

    def restore_time(self, to_time: str) -> datetime | None:
        """The time ``--to-time`` names (None: the latest restorable), checked against the restore window."""
        window = self.window()
        if window is None:
            raise UsageError(
                f"{self.instance_id} keeps no automated backups (backup retention 0): nothing to restore to a time"
            )
        moment = None if to_time == "latest" else parse_time(to_time)
        if moment is not None and not window.earliest <= moment <= window.latest:
            raise UsageError(
                f"{utc_text(moment)} is outside the restorable window of {self.instance_id}: "
                f"{utc_text(window.earliest)} to {utc_text(window.latest)}"
            )
        return moment

    def restore(self, moment: datetime | None, timeout: float) -> dict[str, Any]:
        """Restore the instance as of ``moment`` (None: the latest restorable time) into a new instance beside it."""
        source = self.instance()
        target = new_identifier(self.instance_id, "restore", utc_now())
        when = "the latest restorable time" if moment is None else utc_text(moment)
        step(f"restoring {self.instance_id} as of {when} into {target}")
        self.rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=self.instance_id,
            TargetDBInstanceIdentifier=target,
            **({"UseLatestRestorableTime": True} if moment is None else {"RestoreTime": moment}),
            **same_placement(source),
        )
        return self._wait(lambda: self.instance(target), f"instance {target}", timeout, "DBInstanceStatus")

    def _wait(self, describe: Any, what: str, timeout: float, status_key: str = "Status") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = dict(describe())
            status = described.get(status_key, "")
            if status == "available":
                return described
            if status in ("failed", "incompatible-restore", "incompatible-parameters"):
                raise OpsError(f"{what} is {status}")
            if time.monotonic() >= deadline:
                raise OpsError(f"{what} still {status} after {timeout:.0f}s; it goes on in AWS (ops backups shows it)")
            time.sleep(poll_seconds())


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def same_placement(source: dict[str, Any]) -> dict[str, Any]:
    """What the restored instance copies from the running one: network, size, settings, tags.

    RDS manages its master password in a secret of its own, so the running instance's secret and
    its rotation stay untouched.
    """
    settings: dict[str, Any] = {
        "DBInstanceClass": source["DBInstanceClass"],
        "DBSubnetGroupName": source["DBSubnetGroup"]["DBSubnetGroupName"],
        "VpcSecurityGroupIds": [group["VpcSecurityGroupId"] for group in source.get("VpcSecurityGroups", [])],
        "DBParameterGroupName": source["DBParameterGroups"][0]["DBParameterGroupName"],
        "MultiAZ": bool(source.get("MultiAZ")),
        "PubliclyAccessible": False,
        "EnableIAMDatabaseAuthentication": bool(source.get("IAMDatabaseAuthenticationEnabled")),
        "EnableCloudwatchLogsExports": list(source.get("EnabledCloudwatchLogsExports") or []),
        "CopyTagsToSnapshot": True,
        "DeletionProtection": bool(source.get("DeletionProtection")),
        "ManageMasterUserPassword": True,
        "Tags": list(source.get("TagList") or []),
    }
    if source.get("StorageType"):
        settings["StorageType"] = source["StorageType"]
    return settings


def switch_over_steps(environment: Environment, source: dict[str, Any], restored: dict[str, Any]) -> list[str]:
    """The commands that move the app to the restored instance, in order.

    The restored instance takes the running one's identifier, so its endpoint (DB_HOST) stays the
    same; Terraform then adopts it and points DB_PASSWORD_SECRET_ARN at its secret, and a deploy of
    the running release starts the services with that. The old instance is renamed aside and kept
    until it is deleted, the last step.
    """
    name, region = environment.name, environment.outputs["aws_region"]
    source_id, restored_id = source["DBInstanceIdentifier"], restored["DBInstanceIdentifier"]
    suffix = "-replaced"
    aside = source_id[: RDS_IDENTIFIER_LENGTH - len(suffix)].rstrip("-") + suffix
    rds = f"aws rds --region {region}"
    stack = environment.project.stack_dir.relative_to(environment.project.root)
    current = environment.releases.current()
    deploy = f"uv run --project ops ops deploy --env {name}" + (f" --tag {current.sha}" if current else "")
    unprotect = (
        [f"{rds} modify-db-instance --db-instance-identifier {aside} --no-deletion-protection --apply-immediately"]
        if source.get("DeletionProtection")
        else []
    )
    return [
        f"{rds} modify-db-instance --db-instance-identifier {source_id} "
        f"--new-db-instance-identifier {aside} --apply-immediately",
        f"{rds} wait db-instance-available --db-instance-identifier {aside}",
        f"{rds} modify-db-instance --db-instance-identifier {restored_id} "
        f"--new-db-instance-identifier {source_id} --apply-immediately",
        f"{rds} wait db-instance-available --db-instance-identifier {source_id}",
        f"make infra-init ENV={name}",
        f"terraform -chdir={stack} state rm aws_db_instance.main",
        f"terraform -chdir={stack} import -var-file=envs/{name}.tfvars aws_db_instance.main {source_id}",
        f"make infra-apply ENV={name}",
        deploy,
        *unprotect,
        f"{rds} delete-db-instance --db-instance-identifier {aside} --final-db-snapshot-identifier {aside}-final",
    ]
