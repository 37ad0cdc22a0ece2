"""``ops backup``, ``ops backups`` and ``ops restore`` on the applied EC2 and ECS demo stacks.

EC2: the real deploy/ec2/backup-db.sh and restore-db.sh run when ops sends them through SSM
(the emulator's ``HostShell``), in a directory standing in for the host's project directory, with
the host's settings from the instance's user data. A stand-in ``docker`` answers ``compose config``,
``stop`` and ``start`` (and records them) and runs ``compose exec postgres pg_dump|pg_restore|psql``
as the real PostgreSQL tools against a real server; the real ``aws s3 cp`` moves the dumps to and
from the emulated bucket. ECS: snapshots and point-in-time restores of the stack's RDS instance in
the emulator (emulator.py adds the restore window moto lacks).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support.emulator import ACCESS_KEY, SECRET_KEY, HostShell
from support.ops_runner import LoadBalancerStandIn, OpsRunner, runner_for
from support.services import PostgresCluster, running
from support.stacks import ENVIRONMENT, StackCycle

pytestmark = pytest.mark.xdist_group("infra-apply")

CONFIRMATION = f"restore {ENVIRONMENT}"
WRITERS = ("web", "websocket", "worker", "beat")
# docker on the stand-in host (run by the test's Python, which has PyYAML).
FAKE_DOCKER = f"""#!{sys.executable}
import json, os, sys
import yaml
arguments, files = sys.argv[2:], []
while arguments[0] in ("--project-directory", "-f"):
    if arguments[0] == "-f":
        files.append(arguments[1])
    arguments = arguments[2:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps(arguments) + "\\n")
if arguments == ["config", "--services"]:
    for name in files:
        print("\\n".join(yaml.safe_load(open(name))["services"]))
elif arguments[0] == "exec":
    service, program, *rest = arguments[arguments.index("-T") + 1 :]
    if service == "postgres":
        os.execv(os.path.join(os.environ["PG_BIN"], program), [program, *rest])
elif arguments[0] not in ("stop", "start"):
    sys.exit(f"docker stand-in: unexpected {{arguments}}")
"""


@dataclass
class Host:
    """The stand-in host: its project directory, database, docker log and load balancer."""

    directory: Path
    postgres: PostgresCluster
    settings: dict[str, str]
    docker_log: Path
    site: LoadBalancerStandIn

    def sql(self, statement: str, database: str | None = None, user: str = "app") -> str:
        """Run SQL (as the app's user unless told); its unaligned output."""
        return subprocess.run(
            [
                *(str(self.postgres.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.postgres.port), "-U", user),
                *("-d", database or self.settings["POSTGRES_DB"], "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def docker_calls(self) -> list[list[str]]:
        """What the scripts asked docker compose, oldest first; the log starts empty again."""
        calls = [json.loads(line) for line in self.docker_log.read_text().splitlines()]
        self.docker_log.write_text("")
        return calls


def host_settings(stack: StackCycle) -> dict[str, str]:
    """host.env as user data writes it on the instance (Terraform's settings, BACKUP_S3_URI among them)."""
    ec2 = stack.emulator.client("ec2")
    encoded = ec2.describe_instance_attribute(InstanceId=stack.outputs["instance_id"], Attribute="userData")
    text = base64.b64decode(encoded["UserData"]["Value"]).decode()
    block = re.search(r"host\.env\" <<'SETTINGS'\n(.*?)\nSETTINGS\n", text, re.S)
    assert block, "user data writes no host.env"
    return dict(line.split("=", 1) for line in block[1].splitlines())


@pytest.fixture(scope="module")
def ec2_ops(ec2_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops installed in the applied EC2 project, pointed at the emulator."""
    return runner_for(ec2_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")


@pytest.fixture(scope="module")
def ecs_ops(ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops installed in the applied ECS project, pointed at the emulator."""
    return runner_for(ecs_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")


@pytest.fixture(scope="module")
def host(ec2_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """A stand-in host with a real PostgreSQL holding the app's database, reachable through SSM."""
    root = tmp_path_factory.mktemp("host")
    app = root / "app"
    (app / "deploy" / "ec2").mkdir(parents=True)
    for name in ("backup-db.sh", "restore-db.sh"):
        source = ec2_stack.project / "deploy" / "ec2" / name
        (app / "deploy" / "ec2" / name).write_text(source.read_text())
        (app / "deploy" / "ec2" / name).chmod(0o755)
    (app / "docker-compose.prod.yml").write_text((ec2_stack.project / "docker-compose.prod.yml").read_text())
    bin_dir, temporary = root / "bin", root / "tmp"
    bin_dir.mkdir()
    temporary.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    docker_log = root / "docker.log"
    docker_log.write_text("")
    settings = host_settings(ec2_stack)
    with running(PostgresCluster()) as postgres, LoadBalancerStandIn().serving() as site:
        port = site.url.rsplit(":", 1)[1]
        # render-env.sh adds the two secrets; nginx listens where the load balancer's stand-in does.
        env_file = {**settings, "POSTGRES_PASSWORD": "unused-with-trust", "SECRET_KEY": "x", "HTTP_PORT": port}
        (app / ".env").write_text("".join(f"{key}={value}\n" for key, value in env_file.items()))
        stand_in = Host(app, postgres, settings, docker_log, site)
        stand_in.sql("CREATE ROLE app SUPERUSER LOGIN", database="postgres", user="postgres")
        stand_in.sql(f"CREATE DATABASE {settings['POSTGRES_DB']} OWNER app", database="postgres", user="postgres")
        environment = {
            **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "AWS_ENDPOINT_URL": ec2_stack.emulator.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TMPDIR": str(temporary),
            "READY_TIMEOUT_SECONDS": "3",
            "FAKE_DOCKER_LOG": str(docker_log),
            "PG_BIN": str(postgres.bin_dir),
            "PGHOST": "127.0.0.1",
            "PGPORT": str(postgres.port),
        }
        ec2_stack.emulator.runtime.outcomes["deploy/ec2/"] = HostShell(app, environment)
        try:
            yield stand_in
        finally:
            ec2_stack.emulator.runtime.outcomes.pop("deploy/ec2/", None)


@pytest.fixture
def notes(host: Host) -> Iterator[list[str]]:
    """A table of three notes in the app's database (gone again after the test)."""
    host.sql("DROP TABLE IF EXISTS notes, later CASCADE; CREATE TABLE notes (id serial PRIMARY KEY, body text)")
    host.sql("INSERT INTO notes (body) VALUES ('first'), ('second'), ('third')")
    host.docker_calls()
    host.site.statuses.clear()
    yield ["first", "second", "third"]
    host.sql("DROP TABLE IF EXISTS notes, later CASCADE")


def note_bodies(host: Host) -> list[str]:
    return host.sql("SELECT body FROM notes ORDER BY id").splitlines()


def dump_keys(stack: StackCycle) -> dict[str, int]:
    """Every object under the backup prefix in the emulated bucket, with its size."""
    location = stack.outputs["database_backups"]
    listed = stack.emulator.client("s3").list_objects_v2(Bucket=location["bucket"], Prefix=location["prefix"])
    return {entry["Key"]: entry["Size"] for entry in listed.get("Contents", [])}


def ssm_commands(stack: StackCycle) -> list[str]:
    """The scripts of every Run Command sent to the host, oldest first."""
    listed = stack.emulator.client("ssm").list_commands(InstanceId=stack.outputs["instance_id"])["Commands"]
    return [command["Parameters"]["commands"][0] for command in sorted(listed, key=lambda c: c["RequestedDateTime"])]


def backup(ops: OpsRunner) -> str:
    """``ops backup`` on EC2; the key of the dump it printed."""
    result = ops.run("backup", "--env", ENVIRONMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"^dump s3://[^/]+/(\S+) \(([\d.]+ (?:B|KiB|MiB))\)$", result.stdout, re.M)
    assert match, result.stdout
    return match[1]


def writer_services(stack: StackCycle) -> list[str]:
    """The compose services restore-db.sh must stop: the writers the rendered compose file has."""
    import yaml

    services = yaml.safe_load((stack.project / "docker-compose.prod.yml").read_text())["services"]
    return [name for name in WRITERS if name in services]


# --- EC2 -----------------------------------------------------------------------------------------


def test_ec2_backup_then_restore_latest_brings_the_rows_back(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, host: Host, notes: list[str]
) -> None:
    """Rows changed and a table added after `ops backup`: `ops restore --from latest` puts back exactly the dump."""
    key = backup(ec2_ops)
    location = ec2_stack.outputs["database_backups"]
    assert key.startswith(location["prefix"]) and key.endswith(".dump")
    assert f"BACKUP_S3_URI=s3://{location['bucket']}/{location['prefix']}" in (host.directory / ".env").read_text()
    assert dump_keys(ec2_stack)[key] > 0
    assert ssm_commands(ec2_stack)[-1] == "bash deploy/ec2/backup-db.sh"

    host.sql("UPDATE notes SET body = 'changed' WHERE body = 'first'; DELETE FROM notes WHERE body = 'third'")
    host.sql("CREATE TABLE later (id int); INSERT INTO later VALUES (1)")
    listing = ec2_ops.run("backups", "--env", ENVIRONMENT)
    assert listing.returncode == 0, listing.stderr
    assert key in listing.stdout and f"deletes each {location['expiry_days']} days" in listing.stdout
    host.docker_calls()

    result = ec2_ops.run("restore", "--env", ENVIRONMENT, "--from", "latest", "--confirm", CONFIRMATION)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert note_bodies(host) == notes
    assert host.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'later'") == "0"
    assert ssm_commands(ec2_stack)[-1] == f"bash deploy/ec2/restore-db.sh {key}"

    safety = re.search(r"the dump taken just before is (\S+) ", result.stdout)
    assert safety and safety[1].endswith("-before-restore.dump"), result.stdout
    assert safety[1] in dump_keys(ec2_stack)
    writers = writer_services(ec2_stack)
    assert "worker" not in writers  # the EC2 demo is generated without Celery
    calls = [call for call in host.docker_calls() if call[0] in ("stop", "start") or "psql" in call]
    assert calls == [["stop", *writers], ["exec", "-T", "postgres", "psql", *calls[1][4:]], ["start", *writers]]

    # The safety dump holds the state the restore replaced: restoring it brings the changes back.
    back = ec2_ops.run("restore", "--env", ENVIRONMENT, "--from", safety[1], "--confirm", CONFIRMATION)
    assert back.returncode == 0, back.stdout[-3000:] + back.stderr
    assert note_bodies(host) == ["changed", "second"]
    assert host.sql("SELECT id FROM later") == "1"


def test_ec2_restore_without_confirmation_changes_nothing(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, host: Host, notes: list[str]
) -> None:
    """No --confirm and no terminal, or the wrong words: exit 2, one line, no command sent to the host."""
    key = backup(ec2_ops)
    host.sql("DELETE FROM notes WHERE body = 'first'")
    sent = len(ssm_commands(ec2_stack))
    for extra in ((), ("--confirm", "restore prod")):
        result = ec2_ops.run("restore", "--env", ENVIRONMENT, "--from", key, *extra)
        assert result.returncode == 2, result.stdout + result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("ops restore: ")
    assert len(ssm_commands(ec2_stack)) == sent
    assert note_bodies(host) == notes[1:]


def test_ec2_restore_of_a_missing_dump_is_one_line(ec2_stack: StackCycle, ec2_ops: OpsRunner) -> None:
    """A dump that is not in the bucket: exit 2, one line naming it, nothing sent to the host."""
    sent = len(ssm_commands(ec2_stack))
    result = ec2_ops.run(
        "restore", "--env", ENVIRONMENT, "--from", "1999-01-01T000000Z.dump", "--confirm", CONFIRMATION
    )
    assert result.returncode == 2
    prefix = ec2_stack.outputs["database_backups"]["prefix"]
    assert result.stderr.strip().splitlines() == [
        f"ops restore: no dump {prefix}1999-01-01T000000Z.dump in s3://{ec2_stack.outputs['database_backups']['bucket']}:"
        f" `ops backups --env {ENVIRONMENT}` lists them"
    ]
    assert len(ssm_commands(ec2_stack)) == sent


def test_ec2_restore_that_fails_to_load_rolls_back_and_restarts(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, host: Host, notes: list[str]
) -> None:
    """A dump whose table belongs to a role gone since: nothing of it is applied, the writers run again."""
    host.sql("CREATE ROLE ghost; CREATE TABLE haunted (id int); ALTER TABLE haunted OWNER TO ghost")
    key = backup(ec2_ops)
    host.sql("DROP TABLE haunted; DROP ROLE ghost; DELETE FROM notes WHERE body = 'second'")
    host.docker_calls()

    result = ec2_ops.run("restore", "--env", ENVIRONMENT, "--from", key, "--confirm", CONFIRMATION)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"ops restore: restoring {key} failed on the host (exit 1): loading {key} (rolled back); "
        "the database is unchanged"
    ]
    assert note_bodies(host) == ["first", "third"]
    assert host.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'haunted'") == "0"
    writers = writer_services(ec2_stack)
    assert [call for call in host.docker_calls() if call[0] in ("stop", "start")] == [
        ["stop", *writers],
        ["start", *writers],
    ]


def test_ec2_restore_failing_readiness_names_the_dump_to_go_back_to(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, host: Host, notes: list[str]
) -> None:
    """Readiness through nginx fails after the load: exit 1 and the command that restores the safety dump."""
    key = backup(ec2_ops)
    host.sql("DELETE FROM notes")
    host.site.statuses["/api/health/ready/"] = 503
    result = ec2_ops.run("restore", "--env", ENVIRONMENT, "--from", key, "--confirm", CONFIRMATION)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    match = re.fullmatch(
        rf"ops restore: restoring {re.escape(key)} failed on the host \(exit 1\): readiness through nginx; "
        rf"the database holds {re.escape(key)} now, the dump taken just before is (\S+): "
        rf"`ops restore --env {ENVIRONMENT} --from \1`",
        lines[0] if len(lines) == 1 else "",
    )
    assert match, result.stderr
    assert match[1] in dump_keys(ec2_stack) and match[1].endswith("-before-restore.dump")
    assert note_bodies(host) == notes
    assert "/api/health/ready/" in host.site.requests
    assert [call[0] for call in host.docker_calls() if call[0] in ("stop", "start")] == ["stop", "start"]


# --- ECS -----------------------------------------------------------------------------------------


def rds_instance(stack: StackCycle, identifier: str | None = None) -> dict[str, Any]:
    rds = stack.emulator.client("rds")
    return rds.describe_db_instances(DBInstanceIdentifier=identifier or stack.environment_names["rds_instance"])[
        "DBInstances"
    ][0]


@pytest.fixture
def restored_instances(ecs_stack: StackCycle) -> Iterator[None]:
    """Deletes the instances and manual snapshots a test made, so the stack destroys as applied."""
    rds = ecs_stack.emulator.client("rds")
    source = ecs_stack.environment_names["rds_instance"]
    yield
    for instance in rds.describe_db_instances()["DBInstances"]:
        identifier = instance["DBInstanceIdentifier"]
        if "-restore-" in identifier and source.startswith(identifier.split("-restore-")[0]):
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    for snapshot in rds.describe_db_snapshots(DBInstanceIdentifier=source, SnapshotType="manual")["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


KEPT_FIELDS = ("DBInstanceIdentifier", "DBInstanceStatus", "Endpoint", "DBInstanceClass", "VpcSecurityGroups")


def test_ecs_backup_makes_a_snapshot_that_backups_lists(
    ecs_stack: StackCycle, ecs_ops: OpsRunner, restored_instances: None
) -> None:
    """`ops backup`: a manual snapshot <instance>-manual-<time>, available; `ops backups` lists it and the window."""
    source = ecs_stack.environment_names["rds_instance"]
    result = ecs_ops.run("backup", "--env", ENVIRONMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    # The id is the instance's, shortened when needed so that it stays within RDS's 63 characters.
    match = re.search(rf"snapshot (\S+-manual-\d{{8}}-\d{{6}}) of {re.escape(source)} is available", result.stdout)
    assert match, result.stdout
    assert len(match[1]) <= 63
    assert source.startswith(match[1].split("-manual-")[0])
    snapshot = ecs_stack.emulator.client("rds").describe_db_snapshots(DBSnapshotIdentifier=match[1])["DBSnapshots"][0]
    assert (snapshot["SnapshotType"], snapshot["Status"], snapshot["DBInstanceIdentifier"]) == (
        "manual",
        "available",
        source,
    )

    listing = ecs_ops.run("backups", "--env", ENVIRONMENT)
    assert listing.returncode == 0, listing.stderr
    assert match[1] in listing.stdout and "automated" in listing.stdout
    assert re.search(
        rf"point-in-time restore of {re.escape(source)}: any second from \S+Z to \S+Z "
        r"\(automated backups kept 1 day\)",
        listing.stdout,
    ), listing.stdout


def test_ecs_restore_to_time_creates_a_new_instance_and_leaves_the_running_one(
    ecs_stack: StackCycle, ecs_ops: OpsRunner, restored_instances: None
) -> None:
    """A new instance in the same subnet group and security groups, same class and parameter group; the old as was."""
    before = rds_instance(ecs_stack)
    to_time = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = ecs_ops.run("restore", "--env", ENVIRONMENT, "--to-time", to_time, "--confirm", CONFIRMATION)
    assert result.returncode == 0, result.stdout + result.stderr
    source = before["DBInstanceIdentifier"]
    match = re.search(rf"restored {re.escape(source)} into (\S+-restore-\d{{8}}-\d{{6}})", result.stdout)
    assert match, result.stdout
    assert len(match[1]) <= 63 and source.startswith(match[1].split("-restore-")[0])
    restored = rds_instance(ecs_stack, match[1])
    assert restored["DBSubnetGroup"]["DBSubnetGroupName"] == before["DBSubnetGroup"]["DBSubnetGroupName"]
    assert restored["VpcSecurityGroups"] == before["VpcSecurityGroups"]
    assert restored["DBInstanceClass"] == before["DBInstanceClass"]
    assert (
        restored["DBParameterGroups"][0]["DBParameterGroupName"]
        == before["DBParameterGroups"][0]["DBParameterGroupName"]
    )
    assert restored["PubliclyAccessible"] is False
    assert restored["MasterUserSecret"]["SecretArn"] != before["MasterUserSecret"]["SecretArn"]
    assert restored["DbiResourceId"] != before["DbiResourceId"]
    after = rds_instance(ecs_stack)
    assert {field: after[field] for field in KEPT_FIELDS} == {field: before[field] for field in KEPT_FIELDS}
    assert after["MasterUserSecret"]["SecretArn"] == before["MasterUserSecret"]["SecretArn"]
    steps = result.stdout
    rename = rf"--db-instance-identifier {re.escape(source)} --new-db-instance-identifier (\S+-replaced)"
    aside = re.search(rename, steps)
    assert aside and len(aside[1]) <= 63 and source.startswith(aside[1].removesuffix("-replaced")), steps
    assert f"--db-instance-identifier {match[1]} --new-db-instance-identifier {source} " in steps
    assert f"import -var-file=envs/{ENVIRONMENT}.tfvars aws_db_instance.main {source}" in steps


def test_ecs_restore_outside_the_window_is_one_line(
    ecs_stack: StackCycle, ecs_ops: OpsRunner, restored_instances: None
) -> None:
    """A time before the instance existed: exit 2, one line with the window; no instance created."""
    count = len(ecs_stack.emulator.client("rds").describe_db_instances()["DBInstances"])
    source = ecs_stack.environment_names["rds_instance"]
    result = ecs_ops.run(
        "restore", "--env", ENVIRONMENT, "--to-time", "2001-01-01T00:00:00Z", "--confirm", CONFIRMATION
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(
        rf"ops restore: 2001-01-01T00:00:00Z is outside the restorable window of {re.escape(source)}: \S+Z to \S+Z",
        lines[0],
    ), result.stderr
    assert len(ecs_stack.emulator.client("rds").describe_db_instances()["DBInstances"]) == count


def test_emulator_refuses_restores_outside_the_window(ecs_stack: StackCycle) -> None:
    """The emulator's patch itself: a time outside the window, or a time with "latest", fails as on AWS."""
    rds = ecs_stack.emulator.client("rds")
    source = ecs_stack.environment_names["rds_instance"]
    window = rds.describe_db_instance_automated_backups(DBInstanceIdentifier=source)["DBInstanceAutomatedBackups"][0]
    assert window["RestoreWindow"]["EarliestTime"] <= window["RestoreWindow"]["LatestTime"]
    cases = {
        "InvalidRestoreFault": {"RestoreTime": datetime(2001, 1, 1, tzinfo=UTC)},
        "InvalidParameterCombination": {"RestoreTime": datetime.now(UTC), "UseLatestRestorableTime": True},
    }
    for code, arguments in cases.items():
        with pytest.raises(ClientError) as raised:
            rds.restore_db_instance_to_point_in_time(
                SourceDBInstanceIdentifier=source, TargetDBInstanceIdentifier=f"{source}-patch-check", **arguments
            )
        assert raised.value.response["Error"]["Code"] == code
    assert f"{source}-patch-check" not in {
        instance["DBInstanceIdentifier"] for instance in rds.describe_db_instances()["DBInstances"]
    }
