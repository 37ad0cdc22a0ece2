"""Read the literal values of Terraform files without Terraform: tfvars and variable defaults.

The project's tfvars are ``name = value`` lines whose values are strings, numbers, booleans, lists
and maps (``{ cpu = 256, memory = 512 }``). That subset is read here exactly; anything else (a
function call, a reference, an interpolation) is refused with its file and line rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.errors import UsageError

TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>(?:\#|//)[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.-]*)
  | (?P<punct>[=:{}\[\],])
    """,
    re.VERBOSE | re.DOTALL,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


class Parser:
    """Recursive descent over the literal subset of HCL, reading tokens only as far as it needs."""

    def __init__(self, text: str, source: str, first_line: int = 1) -> None:
        self.text = text
        self.source = source
        self.position = 0
        self.line = first_line
        self.lookahead: Token | None = None

    def error(self, message: str) -> UsageError:
        return UsageError(f"{self.source} line {self.line}: {message}")

    def peek(self) -> Token | None:
        """The next token, spaces and comments skipped (None at the end); an unknown character is an error."""
        while self.lookahead is None and self.position < len(self.text):
            match = TOKEN.match(self.text, self.position)
            if match is None:
                raise self.error(f"{self.text[self.position : self.position + 20]!r} is not a literal value")
            kind = match.lastgroup or ""
            if kind not in ("space", "comment"):
                self.lookahead = Token(kind, match.group())
            else:
                self.line += match.group().count("\n")
            self.position = match.end()
        return self.lookahead

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("a value is missing at the end")
        self.lookahead = None
        self.line += token.text.count("\n")
        return token

    def skip(self, text: str) -> bool:
        """Take the next token if it is ``text``."""
        token = self.peek()
        if token is not None and token.text == text:
            self.take()
            return True
        return False

    def attributes(self, closing: str | None = None) -> dict[str, Any]:
        """``name = value`` pairs up to ``closing`` (or the end), separated by newlines or commas."""
        result: dict[str, Any] = {}
        while (token := self.peek()) is not None and token.text != closing:
            if token.kind not in ("name", "string"):
                raise self.error(f"expected a name, found {token.text}")
            self.take()
            key = unquote(token.text) if token.kind == "string" else token.text
            if not (self.skip("=") or self.skip(":")):
                raise self.error(f"expected = after {key}")
            result[key] = self.value()
            self.skip(",")
        if closing is not None and not self.skip(closing):
            raise self.error(f"{closing} is missing")
        return result

    def items(self) -> list[Any]:
        result: list[Any] = []
        while (token := self.peek()) is not None and token.text != "]":
            result.append(self.value())
            self.skip(",")
        if not self.skip("]"):
            raise self.error("] is missing")
        return result

    def value(self) -> Any:
        token = self.take()
        if token.kind == "string":
            if "${" in token.text or "%{" in token.text:
                raise self.error(f"{token.text} is a template, not a literal value")
            return unquote(token.text)
        if token.kind == "number":
            return int(token.text) if re.fullmatch(r"-?\d+", token.text) else float(token.text)
        if token.text in ("true", "false"):
            return token.text == "true"
        if token.text == "null":
            return None
        if token.text == "{":
            return self.attributes("}")
        if token.text == "[":
            return self.items()
        raise self.error(f"{token.text} is not a literal value (only strings, numbers, booleans, lists and maps)")


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), match.group(0)), text[1:-1])


def read_tfvars(path: Path) -> dict[str, Any]:
    """Every ``name = value`` of a tfvars file."""
    return Parser(path.read_text(), str(path)).attributes()


def variable_defaults(path: Path) -> dict[str, Any]:
    """The ``default`` of every ``variable`` block of a Terraform file that has one.

    Only the default is parsed: types and validations are expressions this reader leaves alone.
    """
    text = path.read_text()
    defaults: dict[str, Any] = {}
    for block in re.finditer(r'^variable\s+"([^"]+)"\s*\{', text, re.MULTILINE):
        body = text[block.end() : block_end(text, block.end())]
        default = re.search(r"^\s*default\s*=", body, re.MULTILINE)
        if default:
            line = text.count("\n", 0, block.end() + default.end()) + 1
            defaults[block.group(1)] = Parser(body[default.end() :], str(path), line).value()
    return defaults


def block_end(text: str, start: int) -> int:
    """The index of the brace that closes the block opened just before ``start``.

    Braces inside strings and comments do not count.
    """
    depth, position = 1, start
    while position < len(text):
        character = text[position]
        if character == '"':
            position += 1
            while text[position] != '"':
                position += 2 if text[position] == "\\" else 1
        elif character == "#" or text.startswith("//", position):
            newline = text.find("\n", position)
            position = len(text) if newline < 0 else newline
        elif character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    raise UsageError(f"a block opened before offset {start} is never closed")
