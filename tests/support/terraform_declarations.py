"""What a Terraform module declares and what it uses, read from its ``terraform fmt``-formatted files.

An offline stand-in for tflint's terraform_unused_declarations and terraform_documented_variables rules: formatted
files put every top-level block at column 0, closed by a ``}`` at column 0, and a ``locals`` entry at two spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BLOCK = re.compile(
    r'^(variable|data|locals)\b(?: "([^"]+)")?(?: "([^"]+)")? \{(?:\}|\n(.*?)^\})', re.MULTILINE | re.DOTALL
)
LOCAL_ENTRY = re.compile(r"^  ([A-Za-z_][A-Za-z0-9_-]*)\s*=", re.MULTILINE)


@dataclass(frozen=True)
class Declaration:
    """One variable, local value or data source: the reference that uses it, and where it is declared."""

    reference: str
    file: str
    body: str


def module_source(module: Path) -> str:
    """Every .tf file of the module, joined (a module is its directory, not one file)."""
    return "\n".join(path.read_text() for path in sorted(module.glob("*.tf")))


def declarations(module: Path) -> list[Declaration]:
    """The module's variables, locals and data sources, each with the expression that refers to it."""
    found = []
    for path in sorted(module.glob("*.tf")):
        for match in BLOCK.finditer(path.read_text()):
            kind, first, second, body = match.group(1), match.group(2), match.group(3), match.group(4) or ""
            if kind == "variable":
                found.append(Declaration(f"var.{first}", path.name, body))
            elif kind == "data":
                found.append(Declaration(f"data.{first}.{second}", path.name, body))
            else:
                found.extend(Declaration(f"local.{name}", path.name, body) for name in LOCAL_ENTRY.findall(body))
    return found


def unused(module: Path) -> list[str]:
    """Declarations nothing in the module refers to (a variable's own validation does not count)."""
    source = module_source(module)
    found = []
    for declaration in declarations(module):
        # A variable's own block refers to it (validation); another variable's validation is a real use.
        searched = source.replace(declaration.body, "") if declaration.reference.startswith("var.") else source
        if not re.search(re.escape(declaration.reference) + r"(?![A-Za-z0-9_-])", searched):
            found.append(f"{declaration.file}: {declaration.reference}")
    return found


def undocumented_variables(module: Path) -> list[str]:
    """Variables without a description."""
    return [
        f"{declaration.file}: {declaration.reference}"
        for declaration in declarations(module)
        if declaration.reference.startswith("var.") and not re.search(r"^  description\s*=", declaration.body, re.M)
    ]
