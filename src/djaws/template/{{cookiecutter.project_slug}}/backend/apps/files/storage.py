"""Where uploaded bytes live: S3 through presigned URLs, or local disk with URLs Django signs itself.

Both backends hand the client the same shape (a POST form for upload, a GET URL for download), so
the frontend flow is identical with or without AWS.

A presigned upload form stays valid until it expires, even after the upload was completed. So the
form only ever names an *incoming* key (``incoming/...``); completing the upload checks the
incoming object and moves exactly that object (same ETag) to the file's key. Anything posted with
the form afterwards lands on the incoming key again, which nothing reads and the lifecycle rule
expires: the bytes served, their type and checksum are always the ones that were checked.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse

UPLOAD_SALT = "files.upload"
DOWNLOAD_SALT = "files.download"
# Objects arrive tagged as pending; the bucket's lifecycle rule expires pending objects nobody confirmed,
# so bytes of abandoned uploads disappear even if the database record is gone.
PENDING_TAGGING = "<Tagging><TagSet><Tag><Key>upload-state</Key><Value>pending</Value></Tag></TagSet></Tagging>"


@dataclass(frozen=True)
class StoredObject:
    """What storage knows about an object: its size, declared content type and version (ETag)."""

    size: int
    content_type: str
    etag: str = ""


class UploadChanged(Exception):
    """The incoming object changed between its check and its move: the check must run again."""


def incoming_key(key: str) -> str:
    """Where the upload form writes the bytes of the file stored at ``key``."""
    return f"incoming/{key.removeprefix('uploads/')}"


def final_key(incoming: str) -> str:
    """The file's key for an incoming key (the inverse of incoming_key)."""
    return f"uploads/{incoming.removeprefix('incoming/')}"


class UploadStorage(Protocol):
    """The operations the files API needs from a storage backend."""

    def presign_upload(self, key: str, content_type: str, max_bytes: int) -> dict: ...
    def presign_download(self, key: str, filename: str) -> str: ...
    def stat(self, key: str) -> StoredObject | None: ...
    def stat_incoming(self, key: str) -> StoredObject | None: ...
    def confirm(self, key: str, checked: StoredObject) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> str: ...


def new_object_key(owner_id: int, filename: str) -> str:
    """A key under the owner's prefix with a random id, so names never collide or leak between users."""
    safe_name = "".join(char if char.isascii() and (char.isalnum() or char in "._-") else "_" for char in filename)
    safe_name = safe_name[-100:].lstrip(".") or "file"
    return f"uploads/{owner_id}/{uuid.uuid4().hex}/{safe_name}"


def content_disposition(filename: str) -> str:
    """An attachment header that survives non-ASCII names (RFC 6266)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    ascii_name = ascii_name.replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class S3UploadStorage:
    """Private S3 bucket; the browser talks to S3 directly with short-lived presigned requests."""

    def __init__(self, bucket: str, region: str, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url

    @property
    def client(self):  # boto3 clients are typed only at run time
        # Threads (the worker's pool) starting at once would each build a client and boto3 session, and the
        # copies cost ~30 MiB they never give back; the lock makes them wait for the first one.
        with _client_creation:
            return _s3_client(self.region, self.endpoint_url)

    def presign_upload(self, key: str, content_type: str, max_bytes: int) -> dict:
        return self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=incoming_key(key),
            Fields={"Content-Type": content_type, "tagging": PENDING_TAGGING},
            Conditions=[
                {"Content-Type": content_type},
                {"tagging": PENDING_TAGGING},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=settings.FILE_UPLOAD_URL_TTL,
        )

    def presign_download(self, key: str, filename: str) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": content_disposition(filename)},
            ExpiresIn=settings.FILE_DOWNLOAD_URL_TTL,
        )

    def stat(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(
            size=head["ContentLength"], content_type=head.get("ContentType", ""), etag=head.get("ETag", "")
        )

    def stat_incoming(self, key: str) -> StoredObject | None:
        return self.stat(incoming_key(key))

    def confirm(self, key: str, checked: StoredObject) -> None:
        """Copy the checked incoming object (only if unchanged) to the key, without the pending tag."""
        from botocore.exceptions import ClientError

        source = incoming_key(key)
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": source},
                CopySourceIfMatch=checked.etag,
                TaggingDirective="REPLACE",
                Tagging="",
                MetadataDirective="COPY",
            )
        except ClientError as error:
            # Changed since the check, or moved by a completion running at the same time.
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                raise UploadChanged(key) from error
            raise
        self.client.delete_object(Bucket=self.bucket, Key=source)

    def open(self, key: str) -> BinaryIO:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]

    def delete(self, key: str) -> None:
        self.client.delete_objects(
            Bucket=self.bucket, Delete={"Objects": [{"Key": key}, {"Key": incoming_key(key)}], "Quiet": True}
        )

    def check(self) -> str:
        self.client.head_bucket(Bucket=self.bucket)
        return f"s3://{self.bucket}"


_client_creation = threading.Lock()
S3_CONNECT_TIMEOUT_SECONDS = 5


@cache
def _s3_client(region: str, endpoint_url: str | None):
    """One client per process: creating boto3 clients is slow and they are thread-safe."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(
            signature_version="s3v4",
            # Custom endpoints (MinIO, an emulator) usually lack per-bucket DNS names.
            s3={"addressing_style": "path" if endpoint_url else "virtual"},
            retries={"mode": "standard"},
            # S3 not answering fails a request in seconds (botocore waits 60 s per attempt by default).
            connect_timeout=S3_CONNECT_TIMEOUT_SECONDS,
        ),
    )


class LocalUploadStorage:
    """Files under MEDIA_ROOT, with upload/download URLs signed by Django (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """The file for a key, refusing keys that would escape the storage root."""
        root = self.root.resolve()
        path = (root / key).resolve()
        if root not in path.parents:
            raise ValueError(f"key {key!r} escapes the storage root")
        return path

    def presign_upload(self, key: str, content_type: str, max_bytes: int) -> dict:
        incoming = incoming_key(key)
        token = signing.dumps({"key": incoming, "content_type": content_type, "max_bytes": max_bytes}, salt=UPLOAD_SALT)
        return {
            "url": reverse("files-local-upload"),
            "fields": {"key": incoming, "Content-Type": content_type, "token": token},
        }

    def presign_download(self, key: str, filename: str) -> str:
        token = signing.dumps({"key": key, "filename": filename}, salt=DOWNLOAD_SALT)
        return reverse("files-local-download", args=[token])

    def save(self, key: str, content_type: str, chunks: Iterable[bytes]) -> None:
        """Write an uploaded file and remember its content type, as S3 does."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as target:
            for chunk in chunks:
                target.write(chunk)
        self._meta_path(path).write_text(json.dumps({"content_type": content_type}))

    def stat(self, key: str) -> StoredObject | None:
        path = self.path(key)
        if not path.is_file():
            return None
        meta_path = self._meta_path(path)
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        status = path.stat()
        version = f"{status.st_mtime_ns}-{status.st_size}"
        return StoredObject(size=status.st_size, content_type=meta.get("content_type", ""), etag=version)

    def stat_incoming(self, key: str) -> StoredObject | None:
        return self.stat(incoming_key(key))

    def confirm(self, key: str, checked: StoredObject) -> None:
        """Move the checked incoming file (only if unchanged) to the key."""
        if self.stat_incoming(key) != checked:
            raise UploadChanged(key)
        source, target = self.path(incoming_key(key)), self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._meta_path(source).replace(self._meta_path(target))
        source.replace(target)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        for path in (self.path(key), self.path(incoming_key(key))):
            path.unlink(missing_ok=True)
            self._meta_path(path).unlink(missing_ok=True)

    def check(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".health-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
        return f"local:{self.root}"

    @staticmethod
    def _meta_path(path: Path) -> Path:
        return path.with_name(path.name + ".meta.json")


def get_upload_storage() -> UploadStorage:
    """The backend the settings choose: S3 when AWS_STORAGE_BUCKET_NAME is set, local disk otherwise."""
    if settings.FILE_STORAGE == "s3":
        return S3UploadStorage(settings.AWS_STORAGE_BUCKET_NAME, settings.AWS_REGION, settings.AWS_S3_ENDPOINT_URL)
    return LocalUploadStorage(Path(settings.MEDIA_ROOT))


def load_client_data() -> None:
    """Load boto3's S3 service data into this process without keeping a client.

    The web server calls it before forking its workers, which then share these pages; the throwaway
    client never sends a request, so no connection or credential lookup crosses the fork.
    """
    if settings.FILE_STORAGE == "s3":
        _s3_client.__wrapped__(settings.AWS_REGION, settings.AWS_S3_ENDPOINT_URL)
