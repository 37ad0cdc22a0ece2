from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination


class NewestFirstPagination(CursorPagination):
    """Newest files first, by cursor: stable while uploads arrive, and no COUNT(*) on every page."""

    ordering = "-created_at"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

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
