"""Release records: what each deploy or rollback put on an environment, and how it ended.

Both targets keep them the same way, as one JSON object per release in the Terraform state bucket
(``names.json`` shared.state_bucket) under ``{resource_prefix}/{env}/releases/``. The bucket is
versioned, encrypted and private already, it exists before any environment does, and the deploy
role can reach it. Ids start with a UTC timestamp, so key order is time order.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ops.aws import Aws
from ops.errors import OpsError, UsageError
from ops.project import Project

Status = Literal["in-progress", "succeeded", "failed", "rolled-back"]
Kind = Literal["deploy", "rollback"]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def new_release_id(sha: str) -> str:
    """UTC timestamp + short SHA: sorts in time order and says what was released."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{sha[:7]}"


def current_actor() -> str:
    """Who releases: the GitHub actor in CI, else the git user, else the OS user."""
    if os.environ.get("GITHUB_ACTOR"):
        return os.environ["GITHUB_ACTOR"]
    try:
        name = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, check=False, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or getpass.getuser()


@dataclass
class Migration:
    """The migration task's result (ECS) or the host's deploy output tail (EC2)."""

    exit_code: int | None = None
    output_tail: list[str] = field(default_factory=list)


@dataclass
class Release:
    """One deploy or rollback of one environment."""

    id: str
    environment: str
    target: str
    kind: Kind
    sha: str
    images: dict[str, str]
    actor: str
    started_at: str
    finished_at: str | None = None
    status: Status = "in-progress"
    # ECS: task-definition ARN per service, before and after. EC2: the image tag before and after.
    revisions: dict[str, str] = field(default_factory=dict)
    previous_revisions: dict[str, str] = field(default_factory=dict)
    image_tag: str = ""
    previous_image_tag: str = ""
    migration: Migration = field(default_factory=Migration)
    # For a rollback: the release whose revisions it restored.
    restores: str | None = None
    error: str | None = None

    @classmethod
    def start(cls, environment: str, target: str, kind: Kind, sha: str, images: dict[str, str]) -> Release:
        return cls(
            id=new_release_id(sha),
            environment=environment,
            target=target,
            kind=kind,
            sha=sha,
            images=images,
            actor=current_actor(),
            started_at=utc_now(),
            image_tag=sha,
        )

    def finish(self, status: Status, error: str | None = None) -> None:
        self.status, self.error, self.finished_at = status, error, utc_now()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Release:
        migration = Migration(**data.pop("migration", {}) or {})
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known, migration=migration)

    def duration_seconds(self) -> float | None:
        if not self.finished_at:
            return None
        return (parse_time(self.finished_at) - parse_time(self.started_at)).total_seconds()


class ReleaseStore:
    """The release records of one environment in the state bucket."""

    def __init__(self, aws: Aws, project: Project, environment: str) -> None:
        self.s3 = aws.client("s3")
        self.bucket = project.shared_names["state_bucket"]
        self.prefix = f"{project.resource_prefix}/{environment}/releases/"

    def save(self, release: Release) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=f"{self.prefix}{release.id}.json",
            Body=release.to_json().encode(),
            ContentType="application/json",
        )

    def _keys_newest_first(self) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            keys.extend(entry["Key"] for entry in page.get("Contents", []) if entry["Key"].endswith(".json"))
        return sorted(keys, reverse=True)

    def _load(self, key: str) -> Release:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return Release.from_dict(json.loads(body))

    def newest_first(self, limit: int | None = None) -> Iterator[Release]:
        """Releases from the newest, read one object at a time (rollback usually needs two or three)."""
        for key in self._keys_newest_first()[:limit]:
            yield self._load(key)

    def current(self) -> Release | None:
        """What runs now: the newest release that succeeded."""
        return next((release for release in self.newest_first() if release.status == "succeeded"), None)

    def find(self, reference: str) -> Release:
        """A release by id, or by SHA prefix (the newest that succeeded with that SHA)."""
        matches = [
            release
            for release in self.newest_first()
            if release.id == reference or (len(reference) >= 4 and release.sha.startswith(reference))
        ]
        usable = [release for release in matches if release.status == "succeeded"] or matches
        if not usable:
            raise UsageError(f"no release {reference!r} in this environment (see `ops releases`)")
        return usable[0]

    def previous(self) -> Release:
        """The default rollback target: the newest succeeded deploy older than what runs now, with another SHA."""
        releases = list(self.newest_first())
        current = next((release for release in releases if release.status == "succeeded"), None)
        if current is None:
            raise OpsError("nothing has been released here yet, so there is nothing to roll back to")
        # A rollback restored an older release: go back from that one, not from the rollback itself.
        origin = next((release for release in releases if release.id == current.restores), current)
        for release in releases:
            older = release.id < origin.id and release.kind == "deploy"
            if older and release.status == "succeeded" and release.sha != current.sha:
                return release
        raise OpsError(f"no succeeded release before {current.id} to roll back to")
