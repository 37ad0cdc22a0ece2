"""``ops logs``: the services' log lines from CloudWatch Logs, as ``time service message``, oldest first."""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from ops.commands.options import add_environment
from ops.environment import Environment
from ops.errors import UsageError
from ops.logs import FOLLOW_POLL_SECONDS, LogReader, parse_since, plain_text_pattern

DEFAULT_SINCE = "15m"
DEFAULT_LIMIT = 10_000


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="the services' log lines from CloudWatch: one service or all, since a time, filtered, or followed",
        description="Both targets keep each service's output in its own CloudWatch log group (the log_groups output).",
    )
    parser.add_argument("service", nargs="?", metavar="SERVICE", help="one service (web, worker, ...); default: all")
    add_environment(parser)
    parser.add_argument(
        "--since", default=DEFAULT_SINCE, metavar="WHEN", help=f"15m, 2h, 1d or an ISO time (default {DEFAULT_SINCE})"
    )
    matching = parser.add_mutually_exclusive_group()
    matching.add_argument("--grep", metavar="TEXT", help="only lines containing TEXT (exact, case-sensitive)")
    matching.add_argument(
        "--pattern", metavar="PATTERN", help="only lines matching a CloudWatch filter pattern: '{ $.status >= 500 }'"
    )
    parser.add_argument(
        "--follow", action="store_true", help=f"then print new lines every {FOLLOW_POLL_SECONDS:g} s until Ctrl-C"
    )
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, metavar="N", help=f"at most N lines of the window ({DEFAULT_LIMIT})"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    start_ms = int(parse_since(args.since, datetime.now(UTC)).timestamp() * 1000)
    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: give at least 1")
    pattern = plain_text_pattern(args.grep) if args.grep else args.pattern
    reader = LogReader(Environment.open(args.env), args.service, pattern)
    width = reader.service_width
    lines, truncated = reader.read(start_ms, args.limit)
    for line in lines:
        print(line.render(width))
    if truncated:
        print(f"ops logs: stopped after {args.limit} lines: narrow --since or --grep or raise --limit", file=sys.stderr)
    if not args.follow:
        return 0
    sys.stdout.flush()
    try:
        # After a cut-off window, following starts at the present rather than with the lines left out.
        follow_from = int(datetime.now(UTC).timestamp() * 1000) if truncated else start_ms
        for line in reader.follow(lines, follow_from):
            print(line.render(width), flush=True)
    except KeyboardInterrupt:
        # Ctrl-C is how --follow ends. `uv run` sends its child a second SIGINT 200 ms later if it is
        # still running: that one must not turn a clean stop into a failure.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return 0
