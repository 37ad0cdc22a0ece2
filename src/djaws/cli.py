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
from djaws.naming import derive_names
from djaws.options import OPTIONS, OptionError, defaults, parse_assignment, validate_answers

USAGE_ERROR = 2


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
    new.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer one option (repeatable); see the option list below",
    )
    new.add_argument(
        "--force",
        action="store_true",
        help="write into an existing, non-empty project directory; files the template "
        "does not produce are never deleted",
    )
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``djaws`` console script."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command == "new":
        try:
            return run_new(arguments)
        except BrokenPipeError:
            # Output piped into `head` and the like: stop quietly, as other CLIs do.
            sys.stderr.close()
            return 0
    parser.print_help()
    return USAGE_ERROR
