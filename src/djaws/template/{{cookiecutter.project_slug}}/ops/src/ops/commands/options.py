"""Arguments several commands share, spelled once."""

from __future__ import annotations

import argparse

DEFAULT_TIMEOUT_SECONDS = 900


def add_environment(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ENV", help="environment, as infra/names.json names it")


def add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"longest wait for each step: task, steady state, host script (default {DEFAULT_TIMEOUT_SECONDS})",
    )


def add_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", metavar="URL", help="check the release through this address instead of the site_url output"
    )
