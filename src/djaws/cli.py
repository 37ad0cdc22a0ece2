"""The ``djaws`` command line."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from djaws import __version__
from djaws.generate import GenerationError, generate
from djaws.merge import MergeError, Outcome
from djaws.naming import derive_names
from djaws.options import OPTIONS, OptionError, defaults, parse_assignment, validate_answers
from djaws.record import RecordError
from djaws.update import UpdateError, UpdateReport, UpdateRequest, update
from djaws.versions import INDEX_SOURCE, SOURCE_VARIABLE, VersionError, default_source

USAGE_ERROR = 2
CONFLICTS = 1


class OneLineArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"djaws: error: {message} (see '{self.prog} --help')\n")


def _options_help() -> str:
    lines = ["options for --set (KEY=VALUE):"]
    for option in OPTIONS:
        allowed = f" [{' | '.join(option.choices)}]" if option.choices else ""
        default = option.default or "(empty)"
        lines.append(f"  {option.key}{allowed}\n      {option.help} Default: {default}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``djaws`` and its subcommands."""
    parser = OneLineArgumentParser(
        prog="djaws",
        description="Generate a production-grade Django + Next.js project for AWS.",
    )
    parser.add_argument("--version", action="version", version=f"djaws {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineArgumentParser)
    new = commands.add_parser(
        "new",
        help="generate a new project",
        description="Generate a new project into OUTPUT_DIR/<project_slug>/. Asks for each option "
        "unless --no-input is given; --set answers a question up front.",
        epilog=_options_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    new.add_argument(
        "project_name", nargs="?", metavar="PROJECT_NAME", help="project name (same as --set project_name=...)"
    )
    new.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        default=Path("."),
        help="directory to create the project in (default: the current directory)",
    )
    new.add_argument("--no-input", action="store_true", help="do not ask; use the defaults and the --set values")
    _add_set_argument(new, "answer one option (repeatable); see the option list below")
    new.add_argument(
        "--force",
        action="store_true",
        help="write into an existing, non-empty project directory; files the template "
        "does not produce are never deleted",
    )
    _add_update_parser(commands)
    return parser


def _add_set_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE", help=help_text)


def _add_update_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    update_parser = commands.add_parser(
        "update",
        help="bring this project to a newer template or other answers, keeping your edits",
        description="Run in a project's root, with everything committed. Renders the template as it was at the "
        "recorded version and as it is at the target version, both with the recorded answers, and merges the "
        "difference into the project (git merge-file); conflicts keep standard markers and are listed at the end "
        "(exit status 1).",
        epilog=_options_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    update_parser.add_argument(
        "--to",
        dest="to_version",
        default=__version__,
        metavar="VERSION",
        help=f"target version (default: {__version__})",
    )
    update_parser.add_argument(
        "--from",
        dest="from_version",
        metavar="VERSION",
        help="the version that generated the project, for records that name none (made before djaws 0.2.0)",
    )
    _add_set_argument(update_parser, "change one answer (repeatable), e.g. aws_deployment=ecs-fargate")
    update_parser.add_argument("--dry-run", action="store_true", help="list what would change; write nothing")
    update_parser.add_argument(
        "--source",
        default=default_source(),
        help=f"where other djaws versions come from: {INDEX_SOURCE!r} (the package index, through uv) or "
        f"git+URL (tag vVERSION); default: ${SOURCE_VARIABLE} or {INDEX_SOURCE!r}",
    )


def _ask(answers: dict[str, str], preset: set[str], stdin: TextIO, stderr: TextIO) -> dict[str, str]:
    """Prompt for every option not given up front; an empty line keeps the default, end of input keeps the rest."""
    for option in OPTIONS:
        if option.key in preset:
            continue
        while True:
            choices = f" ({'/'.join(option.choices)})" if option.choices else ""
            stderr.write(f"{option.key}{choices} [{answers[option.key]}]: ")
            stderr.flush()
            line = stdin.readline()
            if not line:
                stderr.write("\n")
                return answers
            value = line.strip() or answers[option.key]
            try:
                answers[option.key] = option.validate(value)
                break
            except OptionError as error:
                stderr.write(f"  {error}\n")
    return answers


def _collect_answers(arguments: argparse.Namespace) -> dict[str, str]:
    answers = defaults()
    given: dict[str, str] = {}
    for assignment in arguments.assignments:
        key, value = parse_assignment(assignment)
        given[key] = value
    if arguments.project_name is not None:
        given["project_name"] = arguments.project_name
    answers.update(validate_answers(given))
    if not arguments.no_input:
        answers = _ask(answers, set(given), sys.stdin, sys.stderr)
    return validate_answers(answers)


def _top_level_parts(files: tuple[Path, ...]) -> list[str]:
    """The project's main parts as ``backend/ (41 files)``, for the summary."""
    counts: dict[str, int] = {}
    for path in files:
        part = f"{path.parts[0]}/" if len(path.parts) > 1 else path.parts[0]
        counts[part] = counts.get(part, 0) + 1
    return [
        f"{part} ({count} file{'s' if count > 1 else ''})" if part.endswith("/") else part
        for part, count in sorted(counts.items())
    ]


def _print_summary(project_path: Path, files: tuple[Path, ...], seconds: float, answers: dict[str, str]) -> None:
    names = derive_names(answers["project_name"])
    print(f"Created {project_path} ({len(files)} files in {seconds:.2f} s):")
    print(f"  {', '.join(_top_level_parts(files))}")
    print(f"  project slug:     {names.project_slug}")
    print(f"  AWS name prefix:  {names.resource_prefix}  (e.g. {names.for_environment('demo')['alb']})")
    print(f"  deployment:       {answers['aws_deployment']} in {answers['aws_region']}")
    print("Next:")
    print(f"  cd {project_path}")
    print("  make install    # backend dependencies (uv) and database migrations")
    print("  make run        # serve on http://127.0.0.1:8000 with the embedded default (SQLite, no servers)")


def run_new(arguments: argparse.Namespace) -> int:
    """``djaws new``: collect answers, generate, report."""
    try:
        answers = _collect_answers(arguments)
    except OptionError as error:
        sys.stderr.write(f"djaws: error: {error}\n")
        return USAGE_ERROR
    started = time.perf_counter()
    if sys.stderr.isatty():
        sys.stderr.write(f"Rendering template for {answers['project_name']!r}...\r")
        sys.stderr.flush()
    try:
        project = generate(answers, arguments.output_dir, force=arguments.force)
    except GenerationError as error:
        sys.stderr.write(f"djaws: error: {error}\n")
        return USAGE_ERROR
    _print_summary(project.path, project.files, time.perf_counter() - started, answers)
    return 0


def _print_update_report(report: UpdateReport, dry_run: bool) -> None:
    """Every file the update touches, grouped by outcome, then the conflicts again where they are seen last."""
    mode = " (dry run: nothing is written)" if dry_run else ""
    print(f"Update djaws {report.from_version} -> {report.to_version}{mode}")
    for key, (old, new) in report.changed_answers.items():
        print(f"  answer       {key}: {old or '(empty)'} -> {new}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    if not report.changes:
        print("Nothing to change: the project already has what this template version and these answers bring.")
        return
    order = list(Outcome)
    for change in sorted(report.changes, key=lambda change: (order.index(change.outcome), change.path)):
        print(f"  {change.outcome:<12} {change.path}{f'  ({change.note})' if change.note else ''}")
    counts = [(outcome, sum(change.outcome is outcome for change in report.changes)) for outcome in Outcome]
    summary = ", ".join(f"{count} {outcome}" for outcome, count in counts if count)
    print(f"{'Would change' if dry_run else 'Changed'} {len(report.changes)} files: {summary}.")
    if not dry_run:
        print("Review with git diff and run make lint test before you commit.")
    if report.conflicts:
        expect = " to expect" if dry_run else ""
        print(f"Conflicts{expect}: edit these until no <<<<<<< ======= >>>>>>> markers remain, then commit:")
        for change in report.conflicts:
            print(f"  {change.path}")


def run_update(arguments: argparse.Namespace) -> int:
    """``djaws update``: merge a newer template or other answers into the project in the current directory."""
    request = UpdateRequest(
        project=Path.cwd(),
        source=arguments.source,
        to_version=arguments.to_version,
        from_version=arguments.from_version,
        assignments=arguments.assignments,
        dry_run=arguments.dry_run,
    )
    try:
        report = update(request)
    except (UpdateError, RecordError, OptionError, VersionError, GenerationError, MergeError) as error:
        sys.stderr.write(f"djaws: error: {error}\n")
        return USAGE_ERROR
    _print_update_report(report, arguments.dry_run)
    return CONFLICTS if report.conflicts else 0


COMMANDS = {"new": run_new, "update": run_update}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``djaws`` console script."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    command = COMMANDS.get(arguments.command)
    if command is None:
        parser.print_help()
        return USAGE_ERROR
    try:
        return command(arguments)
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other CLIs do.
        sys.stderr.close()
        return 0
