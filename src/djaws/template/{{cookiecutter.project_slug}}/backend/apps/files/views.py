"""The files API: upload policy, presigned upload, completion check, listing, presigned download."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import active_account
from apps.files.models import UploadedFile
from apps.files.pagination import NewestFirstPagination
from apps.files.processing import schedule_processing
from apps.files.serializers import (
    DownloadSerializer,
    UploadedFileSerializer,
    UploadPolicySerializer,
    UploadRequestSerializer,
    UploadTicketSerializer,
)
from apps.files.storage import UploadChanged, get_upload_storage, new_object_key


class FileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A user's own files. Other users' files do not exist as far as this API is concerned (404)."""

    serializer_class = UploadedFileSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self) -> QuerySet[UploadedFile]:
        own_files = UploadedFile.objects.filter(owner_id=self.request.user.pk)
        if self.action == "list":
            # Plain rows: the list never needs model instances, and building them cost ~15 % of its time.
            return own_files.values(*UploadedFileSerializer.Meta.fields)
        return own_files

    @extend_schema(request=UploadRequestSerializer, responses={201: UploadTicketSerializer})
    @action(detail=False, methods=["post"])
    def uploads(self, request: Request) -> Response:
        """Start an upload: records the file and returns a presigned POST for its bytes."""
        incoming = UploadRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        # One transaction: if signing fails (say, no credentials), no orphan record is left behind.
        # Tokens are checked without the database; creating rows needs the account to still exist.
        active_account(request)
        with transaction.atomic():
            upload = UploadedFile.objects.create(
                owner_id=request.user.pk,
                key=new_object_key(request.user.pk, data["filename"]),
                filename=data["filename"],
                content_type=data["content_type"],
                size=data["size"],
            )
            storage = get_upload_storage()
            presigned = storage.presign_upload(upload.key, upload.content_type, settings.FILE_UPLOAD_MAX_BYTES)
        ticket = {"file": upload, "upload": presigned, "expires_in": settings.FILE_UPLOAD_URL_TTL}
        return Response(UploadTicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: UploadedFileSerializer,
            400: OpenApiResponse(description="the stored object is too large or of another type: the file failed"),
            409: OpenApiResponse(description="not uploaded yet, or changed while it was checked: complete it again"),
        },
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Confirm an upload: storage must really hold the object, within the size limit and of the declared type."""
        upload = self.get_object()
        if upload.status != UploadedFile.Status.PENDING:
            return Response(UploadedFileSerializer(upload).data)
        storage = get_upload_storage()
        stored = storage.stat_incoming(upload.key)
        if stored is None:
            return Response({"detail": "the file has not been uploaded yet"}, status=status.HTTP_409_CONFLICT)
        problem = None
        if stored.size > settings.FILE_UPLOAD_MAX_BYTES:
            problem = f"the file is {stored.size} bytes; the limit is {settings.FILE_UPLOAD_MAX_BYTES}"
        elif stored.content_type != upload.content_type:
            problem = f"the stored content type {stored.content_type!r} differs from {upload.content_type!r}"
        if problem:
            storage.delete(upload.key)
            upload.status = UploadedFile.Status.FAILED
            upload.failure_reason = problem
            upload.save(update_fields=["status", "failure_reason"])
            raise ValidationError({"detail": problem})
        try:
            storage.confirm(upload.key, stored)
        except UploadChanged:
            return Response(
                {"detail": "the file changed while it was being checked; complete the upload again"},
                status=status.HTTP_409_CONFLICT,
            )
        upload.size = stored.size
        upload.status = UploadedFile.Status.UPLOADED
        upload.uploaded_at = timezone.now()
        upload.save(update_fields=["size", "status", "uploaded_at"])
        schedule_processing(upload)
        return Response(UploadedFileSerializer(upload).data)

    @extend_schema(responses={200: DownloadSerializer, 409: OpenApiResponse(description="not uploaded yet")})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> Response:
        """A short-lived URL for the owner to fetch the file."""
        upload = self.get_object()
        if upload.status not in (UploadedFile.Status.UPLOADED, UploadedFile.Status.PROCESSED):
            return Response({"detail": f"the file is {upload.status}"}, status=status.HTTP_409_CONFLICT)
        url = get_upload_storage().presign_download(upload.key, upload.filename)
        return Response(DownloadSerializer({"url": url, "expires_in": settings.FILE_DOWNLOAD_URL_TTL}).data)

    def perform_destroy(self, instance: UploadedFile) -> None:
        get_upload_storage().delete(instance.key)
        instance.delete()


class UploadPolicyView(APIView):
    """The content types and size the uploads endpoint accepts, from the settings it checks against.

    Public and served from the settings alone: the frontend reads it to refuse a wrong file before
    uploading anything, and never carries a copy of the list that could drift.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Reads settings only: never a 503 (apps/core/schema.py).
    reaches_no_service = True

    @extend_schema(responses=UploadPolicySerializer)
    def get(self, request: Request) -> Response:
        policy = {
            "allowed_content_types": settings.FILE_ALLOWED_CONTENT_TYPES,
            "max_bytes": settings.FILE_UPLOAD_MAX_BYTES,
        }
        return Response(UploadPolicySerializer(policy).data)
