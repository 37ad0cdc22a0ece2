from __future__ import annotations

import re
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class NewestFirstPagination(CursorPagination):
    """Newest files first, by cursor: stable while uploads arrive, and no COUNT(*) on every page."""

    ordering = "-created_at"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def get_page_size(self, request: Any) -> int:
        """The requested page size, which must be a whole number from 1 to max_page_size (DRF ignores a bad one)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (_WHOLE_NUMBER.fullmatch(raw) and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [f"a whole number from 1 to {self.max_page_size}"]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """DRF's parameters, with the page size's bounds."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def decode_cursor(self, request: object) -> Cursor | None:
        """DRF's decoding, plus a check that the position is a time: a cursor is client input."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
            if not valid:
                raise NotFound(self.invalid_cursor_message)
        return cursor
