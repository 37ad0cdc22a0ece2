"""What a release did, as a table in the terminal and as Markdown in the GitHub job summary."""

from __future__ import annotations

import os
from pathlib import Path

from rich.table import Table

from ops.aws import Aws
from ops.environment import console
from ops.releases import Release


def _revision(value: str) -> str:
    """``family:revision`` for an ECS task-definition ARN; other values (EC2 image tags) as they are."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def rows(release: Release) -> list[tuple[str, str, str]]:
    """(what, before, after) for each service (ECS) or for the host's image tag (EC2)."""
    if release.revisions:
        return [
            (process, _revision(release.previous_revisions.get(process, "")), _revision(revision))
            for process, revision in sorted(release.revisions.items())
        ]
    return [("host", release.previous_image_tag or "-", release.image_tag)]


def print_summary(release: Release, url: str, aws: Aws) -> None:
    table = Table(title=f"{release.kind} {release.id} on {release.environment}: {release.status}")
    table.add_column("service")
    table.add_column("before")
    table.add_column("after")
    for process, before, after in rows(release):
        table.add_row(process, before, after)
    console.print(table)
    for name, reference in sorted(release.images.items()):
        console.print(f"  image {name}: {reference}")
    duration = release.duration_seconds()
    console.print(
        f"  url {url}  sha {release.sha}  duration {duration:.0f}s  AWS calls {aws.call_count}"
        if duration is not None
        else f"  url {url}  sha {release.sha}  AWS calls {aws.call_count}"
    )


def markdown(release: Release, url: str, aws: Aws) -> str:
    lines = [
        f"### {release.kind} to {release.environment}: {release.status}",
        "",
        f"- URL: {url}",
        f"- SHA: `{release.sha}`",
        f"- release: `{release.id}` by {release.actor}",
        *(f"- image {name}: `{reference}`" for name, reference in sorted(release.images.items())),
        f"- duration: {release.duration_seconds() or 0:.0f} s, AWS calls: {aws.call_count}",
    ]
    if release.error:
        lines.append(f"- failed: {release.error}")
    lines += ["", "| service | before | after |", "| --- | --- | --- |"]
    lines += [f"| {process} | {before} | {after} |" for process, before, after in rows(release)]
    if release.migration.output_tail:
        lines += [
            "",
            f"Migration (exit {release.migration.exit_code}):",
            "",
            "```",
            *release.migration.output_tail,
            "```",
        ]
    return "\n".join(lines) + "\n"


def report(release: Release, url: str, aws: Aws) -> None:
    """Print the summary; append it to ``$GITHUB_STEP_SUMMARY`` when running in GitHub Actions."""
    print_summary(release, url, aws)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with Path(summary_file).open("a", encoding="utf-8") as handle:
            handle.write(markdown(release, url, aws))
