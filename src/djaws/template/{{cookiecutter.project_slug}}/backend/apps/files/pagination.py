from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Newest files first, by cursor: stable while uploads arrive, and no COUNT(*) on every page."""

    ordering = "-created_at"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
