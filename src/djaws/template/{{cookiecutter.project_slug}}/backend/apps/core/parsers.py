"""The API's JSON parser: what DRF's does, with the shape of the document bounded.

Python's decoder raises RecursionError (a 500) on very deep nesting, and accepts lone UTF-16
surrogates ("\\ud800") that the database then cannot store. Both are a client's error: a 400.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of this API nests deeper than a few levels.
MAX_DEPTH = 32


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ParseError("JSON text is not valid Unicode") from error
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


class BoundedJSONParser(JSONParser):
    """JSON bodies of bounded depth and valid Unicode; anything else is a 400 with a JSON body."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels") from error
        _check(data, 0)
        return data
