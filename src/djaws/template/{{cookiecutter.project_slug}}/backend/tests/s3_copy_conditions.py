"""S3's ``x-amz-copy-source-if-match`` for moto, which (5.2.5, the version the lock pins) ignores it.

Completing an upload copies the incoming object only if its ETag is still the one that was checked
(apps/files/storage.py); S3 answers 412 PreconditionFailed otherwise. Without this, a test of that
guard would pass whether or not the guard is there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlparse


@contextmanager
def enforcing_copy_source_if_match() -> Iterator[None]:
    """While open, moto's CopyObject refuses with 412 when the source's ETag is not the requested one."""
    from moto.s3.exceptions import PreconditionFailed
    from moto.s3.responses import S3Response

    original = S3Response.copy_object

    def copy_object(self: Any) -> Any:
        expected = self.headers.get("x-amz-copy-source-if-match")
        if expected:
            bucket, key = unquote(urlparse(self.headers["x-amz-copy-source"]).path).lstrip("/").split("/", 1)
            source = self.backend.get_object(bucket, key)
            if source is not None and source.etag.strip('"') != expected.strip('"'):
                raise PreconditionFailed("x-amz-copy-source-If-Match")
        return original(self)

    S3Response.copy_object = copy_object
    try:
        yield
    finally:
        S3Response.copy_object = original
