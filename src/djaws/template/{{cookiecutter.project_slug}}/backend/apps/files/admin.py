from django.contrib import admin

from apps.files.models import UploadedFile


@admin.register(UploadedFile)
class UploadedFileAdmin(admin.ModelAdmin):
    """Read-mostly view of uploads for support staff."""

    list_display = ("filename", "owner", "status", "size", "detected_type", "created_at")
    list_filter = ("status", "content_type")
    search_fields = ("filename", "owner__email", "key", "checksum_sha256")
    readonly_fields = ("id", "key", "checksum_sha256", "detected_type", "created_at", "uploaded_at", "processed_at")
    raw_id_fields = ("owner",)
