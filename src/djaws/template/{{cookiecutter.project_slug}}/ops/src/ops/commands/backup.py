"""``ops backup``, ``ops backups``, ``ops restore``: the database's backups, listed, made now, restored.

EC2: pg_dump of the host's PostgreSQL into the media bucket, restored on the host after a safety
dump. ECS: RDS snapshots and point-in-time restore into a new instance beside the running one.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.table import Table

from ops.backups import DatabaseBackups, HostBackups, age, confirm, size_text, switch_over_steps, utc_now, utc_text
from ops.commands.options import add_environment
from ops.environment import Environment, console
from ops.errors import UsageError

ECS = "ecs-fargate"
# pg_dump of a small database takes seconds; an RDS snapshot minutes, a restore into a new instance longer.
DEFAULT_TIMEOUT_SECONDS = 3600


def register(subparsers: Any) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="back the database up now: pg_dump to the bucket (EC2) or an RDS snapshot (ECS)",
        description="EC2: deploy/ec2/backup-db.sh on the host through SSM; prints the dump's URI and size. "
        "ECS: a manual RDS snapshot <instance>-manual-<UTC time>, kept until deleted; prints its id.",
    )
    add_environment(backup)
    _add_timeout(backup)
    backup.set_defaults(handler=run_backup)

    listing = subparsers.add_parser(
        "backups",
        help="the database's backups, newest first, and how long they are kept",
        description="EC2: the dumps in the media bucket (expired by its lifecycle rule). "
        "ECS: manual and automated RDS snapshots and the point-in-time restore window.",
    )
    add_environment(listing)
    listing.set_defaults(handler=run_backups)

    restore = subparsers.add_parser(
        "restore",
        help="restore the database: from a dump (EC2) or to a point in time into a new instance (ECS)",
        description="EC2: takes a safety dump, stops web, websocket, worker and beat, loads the dump in one "
        "transaction, starts them and checks readiness; migrations are not run (`ops migrate`). "
        "ECS: creates <instance>-restore-<UTC time> beside the running instance, which it never changes, "
        "and prints the steps that switch the app over. Both ask for the words 'restore ENV'.",
    )
    add_environment(restore)
    source = restore.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from",
        dest="dump",
        metavar="KEY|latest",
        help="EC2: a dump's key or file name (ops backups), or latest: the newest that is not a safety dump",
    )
    source.add_argument("--to-time", metavar="ISO8601|latest", help="ECS: the time to restore to (UTC unless given)")
    restore.add_argument(
        "--confirm", metavar='"restore ENV"', help="the confirmation, for scripts (otherwise asked on the terminal)"
    )
    _add_timeout(restore)
    restore.set_defaults(handler=run_restore)


def _add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"longest wait for the host script, snapshot or new instance (default {DEFAULT_TIMEOUT_SECONDS})",
    )


def _ask(prompt: str) -> str:
    """Read the confirmation from the terminal; without one, say how to pass it."""
    if not sys.stdin.isatty():
        raise UsageError('pass --confirm "restore ENV" (no terminal to ask on)')
    return input(prompt)


def run_backup(args: argparse.Namespace) -> int:
    environment = Environment.open(args.env)
    if environment.target == ECS:
        snapshot = DatabaseBackups(environment).snapshot(args.timeout)
        console.print(
            f"snapshot {snapshot['DBSnapshotIdentifier']} of {snapshot['DBInstanceIdentifier']} is available "
            f"({snapshot.get('AllocatedStorage', '?')} GiB allocated); it is kept until deleted",
            markup=False,
        )
        return 0
    report = HostBackups(environment).backup(args.timeout)
    console.print(f"dump {report['uri']} ({size_text(int(report['bytes']))})", markup=False)
    return 0


def run_backups(args: argparse.Namespace) -> int:
    environment = Environment.open(args.env)
    if environment.target == ECS:
        _print_snapshots(DatabaseBackups(environment))
    else:
        _print_dumps(HostBackups(environment))
    return 0


def _print_dumps(backups: HostBackups) -> None:
    now = utc_now()
    table = Table()
    # Keys and ids are there to be copied: folded onto more lines, never shortened.
    table.add_column("key", overflow="fold")
    for column in ("size", "age"):
        table.add_column(column)
    dumps = backups.dumps()
    for dump in dumps:
        table.add_row(dump.key, size_text(dump.size), age(dump.modified, now))
    console.print(table)
    console.print(
        f"{len(dumps)} dumps in s3://{backups.bucket}/{backups.prefix}; the bucket deletes each "
        f"{backups.expiry_days} days after it was written (nightly dumps, `ops backup` and safety dumps alike)",
        markup=False,
    )


def _print_snapshots(backups: DatabaseBackups) -> None:
    table = Table()
    table.add_column("snapshot", overflow="fold")
    for column in ("type", "created", "status", "GiB"):
        table.add_column(column)
    for snapshot in backups.snapshots():
        created = snapshot.get("SnapshotCreateTime")
        table.add_row(
            snapshot["DBSnapshotIdentifier"],
            snapshot.get("SnapshotType", ""),
            utc_text(created) if created else "-",
            snapshot.get("Status", ""),
            str(snapshot.get("AllocatedStorage", "")),
        )
    console.print(table)
    window = backups.window()
    if window is None:
        console.print(f"{backups.instance_id}: no automated backups (retention 0): no point-in-time restore")
    else:
        console.print(
            f"point-in-time restore of {backups.instance_id}: any second from {utc_text(window.earliest)} "
            f"to {utc_text(window.latest)} (automated backups kept {window.retention_days} "
            f"day{'' if window.retention_days == 1 else 's'})",
            markup=False,
        )
    console.print("manual snapshots are kept until deleted; automated ones go with the retention period")


def run_restore(args: argparse.Namespace) -> int:
    environment = Environment.open(args.env)
    if environment.target == ECS:
        return _restore_database(environment, args)
    if args.dump is None:
        raise UsageError("this environment runs on one EC2 host: restore a dump with --from KEY|latest")
    backups = HostBackups(environment)
    key = backups.resolve(args.dump)
    confirm(environment.name, args.confirm, _ask)
    report = backups.restore(key, args.timeout)
    console.print(
        f"restored {key}; the dump taken just before is {report['safety_dump']} "
        f"(`ops restore --env {environment.name} --from {report['safety_dump']}` goes back to it)",
        markup=False,
    )
    return 0


def _restore_database(environment: Environment, args: argparse.Namespace) -> int:
    if args.to_time is None:
        raise UsageError("this environment runs on RDS: restore to a point in time with --to-time ISO8601|latest")
    backups = DatabaseBackups(environment)
    moment = backups.restore_time(args.to_time)
    confirm(environment.name, args.confirm, _ask)
    source = backups.instance()
    restored = backups.restore(moment, args.timeout)
    endpoint = restored.get("Endpoint", {}).get("Address", "-")
    console.print(
        f"restored {source['DBInstanceIdentifier']} into {restored['DBInstanceIdentifier']} ({endpoint}); "
        f"its master password is in its own secret {restored.get('MasterUserSecret', {}).get('SecretArn', '-')}.\n"
        f"Nothing uses it yet and {source['DBInstanceIdentifier']} is unchanged. To switch the app over "
        "(the site is unavailable from the first command until the deploy finishes):",
        markup=False,
    )
    for number, command in enumerate(switch_over_steps(environment, source, restored), start=1):
        console.print(f"  {number:>2}. {command}", markup=False, soft_wrap=True)
    return 0
