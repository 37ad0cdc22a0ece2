"""The embedded default's stand-in for S3: accepts presigned-style POSTs and serves signed downloads.

Only active when no bucket is configured (FILE_STORAGE == "local"). The signed token is the
authorisation, as a presigned URL is for S3, so these views take no user authentication.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.files.storage import DOWNLOAD_SALT, UPLOAD_SALT, LocalUploadStorage, final_key


def _local_storage() -> LocalUploadStorage:
    if settings.FILE_STORAGE != "local":
        raise Http404("local storage is not in use")
    return LocalUploadStorage(settings.MEDIA_ROOT)


def _error(code: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"code": code, "detail": message}, status=status)


@csrf_exempt
@require_POST
def local_upload(request: HttpRequest) -> HttpResponse:
    """Store a file posted with the fields of a LocalUploadStorage.presign_upload form."""
    storage = _local_storage()
    try:
        grant = signing.loads(request.POST.get("token", ""), salt=UPLOAD_SALT, max_age=settings.FILE_UPLOAD_URL_TTL)
    except signing.SignatureExpired:
        return _error("ExpiredToken", "the upload URL has expired", status=403)
    except signing.BadSignature:
        return _error("AccessDenied", "the upload signature is not valid", status=403)
    if request.POST.get("key") != grant["key"] or request.POST.get("Content-Type") != grant["content_type"]:
        return _error("AccessDenied", "the form fields do not match the signed policy", status=403)
    if storage.stat(final_key(grant["key"])) is not None:
        return _error("AccessDenied", "this upload is complete; its form can no longer change it", status=403)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _error("InvalidArgument", "the form has no file field")
    if not 1 <= uploaded.size <= grant["max_bytes"]:
        return _error("EntityTooLarge" if uploaded.size else "EntityTooSmall", "the file size is outside the policy")
    storage.save(grant["key"], grant["content_type"], uploaded.chunks())
    return HttpResponse(status=204)


@require_GET
def local_download(request: HttpRequest, token: str) -> FileResponse:
    """Serve a file named by a LocalUploadStorage.presign_download token."""
    storage = _local_storage()
    try:
        grant = signing.loads(token, salt=DOWNLOAD_SALT, max_age=settings.FILE_DOWNLOAD_URL_TTL)
    except signing.BadSignature as error:
        raise Http404("the download link is not valid or has expired") from error
    if storage.stat(grant["key"]) is None:
        raise Http404("the file no longer exists")
    return FileResponse(storage.open(grant["key"]), as_attachment=True, filename=grant["filename"])
