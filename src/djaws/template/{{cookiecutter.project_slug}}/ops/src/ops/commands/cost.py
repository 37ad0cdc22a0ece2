"""``ops cost``: what each environment costs a month per resource, both targets side by side, offline."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ops.cost import NOT_INCLUDED, PRICES_FILE, CostModel, Estimate, targets_for
from ops.project import TARGETS, Project

FORMATS = ("text", "markdown", "json")
# Environments from the cheapest to production, as the READMEs list them; any other name after them.
JSON_SHAPE = """\
--format json prints one object:
  currency, as_of (date of the price table), region, hours_per_month
  estimates  [{target, environment, region, source, settings (the variables the estimate read),
               lines: [{key, resource, detail, monthly_usd (null: not created)}],
               monthly_usd, hourly_usd, daily_usd, scaling_headroom_usd,
               monthly_budget_usd (this project's tfvars, else null), suggested_budget_usd, notes}]

Needs no AWS access: sizes come from the Terraform files, prices from ops/src/ops/prices.json.
exit status: 0, or 2 for an unknown environment, region or size without a price"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cost",
        help="monthly cost per resource of each environment, ECS and EC2 side by side (no AWS access)",
        epilog=JSON_SHAPE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--env", metavar="ENV", help="one environment of infra/names.json")
    which.add_argument("--all", action="store_true", help="every environment (the default)")
    parser.add_argument("--target", choices=TARGETS, help="one target only (default: both, this project's first)")
    parser.add_argument("--region", metavar="REGION", help="price in this region (default: the project's aws_region)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="text (default), markdown tables or JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    project = Project.discover()
    model = CostModel(project, args.region)
    environments = (args.env,) if args.env else project.environments
    estimates = {
        target: [model.estimate(target, environment) for environment in environments]
        for target in targets_for(project, args.target)
    }
    if args.format == "json":
        print(json.dumps(as_json(model, estimates), indent=2))
    elif args.format == "markdown":
        print("\n\n".join(markdown_table(rows) for rows in estimates.values()))
    else:
        print(text_report(project, model, estimates))
    return 0


def usd(amount: float | None) -> str:
    return "—" if amount is None else f"${amount:,.2f}"


def as_json(model: CostModel, estimates: dict[str, list[Estimate]]) -> dict[str, Any]:
    document = model.prices.document
    return {
        "currency": document["currency"],
        "as_of": document["as_of"],
        "region": model.region,
        "hours_per_month": model.prices.hours,
        "estimates": [estimate.as_json() for rows in estimates.values() for estimate in rows],
    }


def table_rows(estimates: list[Estimate], *, details: bool) -> list[list[str]]:
    """Resource rows (amounts per environment; details when there is one), then the totals."""
    rows = [["Resource", *(estimate.environment for estimate in estimates)]]
    for index, line in enumerate(estimates[0].lines):
        amounts = [usd(estimate.lines[index].monthly) for estimate in estimates]
        rows.append([line.resource, *amounts, *([line.detail] if details else [])])
    rows.append(["Total a month", *(usd(estimate.monthly) for estimate in estimates)])
    rows.append(["One hour", *(usd(estimate.hourly) for estimate in estimates)])
    rows.append(["One day", *(usd(estimate.daily) for estimate in estimates)])
    return rows


def aligned(rows: list[list[str]], indent: str = "  ") -> str:
    """Columns padded to their widest cell: names left, amounts right, details left."""
    widths = [max(len(row[column]) for row in rows if column < len(row)) for column in range(max(map(len, rows)))]
    lines = []
    for row in rows:
        cells = []
        for column, cell in enumerate(row):
            is_amount = 0 < column < len(rows[0])
            cells.append(cell.rjust(widths[column]) if is_amount else cell.ljust(widths[column]))
        lines.append(indent + "  ".join(cells).rstrip())
    return "\n".join(lines)


def markdown_table(estimates: list[Estimate]) -> str:
    rows = table_rows(estimates, details=False)
    header, body = rows[0], rows[1:]
    lines = [
        "| " + " | ".join(header) + " |",
        "| --- |" + " ---: |" * (len(header) - 1),
    ]
    for row in body:
        if row[0] == "Total a month":
            row = [f"**{cell}**" for cell in row]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def text_report(project: Project, model: CostModel, estimates: dict[str, list[Estimate]]) -> str:
    prices = model.prices
    document = prices.document
    parts = [
        f"Estimated cost a month in {model.region} ({prices.prices['name']}), {document['currency']}, "
        f"{prices.hours} hours; on-demand prices of {document['as_of']} ({PRICES_FILE.name}), light use."
    ]
    for target, rows in estimates.items():
        # Several environments share one heading: their sources differ only in the environment's name.
        source = rows[0].source if len(rows) == 1 else rows[0].source.replace(rows[0].environment, "<env>", 1)
        parts.append(f"{target}: {source}")
        parts.append(aligned(table_rows(rows, details=len(rows) == 1)))
    if len(estimates) > 1:
        first = next(iter(estimates.values()))
        summary = [["Side by side", *(estimate.environment for estimate in first)]]
        for target, rows in estimates.items():
            summary.append([f"{target} a month", *(usd(estimate.monthly) for estimate in rows)])
            summary.append(["  one hour", *(usd(estimate.hourly) for estimate in rows)])
            summary.append(["  one day", *(usd(estimate.daily) for estimate in rows)])
        parts.append(aligned(summary, indent=""))
    notes = [
        f"{estimate.target} {estimate.environment}: {note}"
        for rows in estimates.values()
        for estimate in rows
        for note in estimate.notes
        if note != NOT_INCLUDED
    ]
    parts.append("\n".join([*notes, NOT_INCLUDED]))
    return "\n\n".join(parts)
