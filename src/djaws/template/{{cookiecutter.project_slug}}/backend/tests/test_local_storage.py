"""The embedded default's stand-in for S3: signed links that expire, a root no key escapes, any file name
downloaded under its own name, and endpoints that answer nothing once a bucket is configured."""

from __future__ import annotations

import os
import time
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from apps.files.storage import LocalUploadStorage
from tests.test_files import CONTENT, post_form, start_upload

pytestmark = pytest.mark.django_db


def later(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Move the clock Django's signing reads forward."""
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + seconds)


def _file() -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", CONTENT)


def complete(api: APIClient, filename: str = "people.csv") -> dict[str, Any]:
    response = api.post("/api/files/uploads/", {"filename": filename, "content_type": "text/csv", "size": len(CONTENT)})
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert post_form(ticket, CONTENT) == 204
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200
    return ticket


def test_an_expired_upload_form_is_refused_and_stores_nothing(
    api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = start_upload(api)
    later(monkeypatch, settings.FILE_UPLOAD_URL_TTL + 1)
    form = dict(ticket["upload"]["fields"], file=_file())
    response = APIClient().post(ticket["upload"]["url"], form, format="multipart")
    assert response.status_code == 403
    assert response.json()["code"] == "ExpiredToken"
    assert not any(path.is_file() for path in Path(settings.MEDIA_ROOT).rglob("*"))
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 409


def test_an_expired_download_link_serves_nothing(
    api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = complete(api)
    url = api.get(f"/api/files/{ticket['file']['id']}/download/").json()["url"]
    assert APIClient().get(url).status_code == 200
    later(monkeypatch, settings.FILE_DOWNLOAD_URL_TTL + 1)
    assert APIClient().get(url).status_code == 404
    # A fresh link works again: the file is still there, only the old link lapsed.
    monkeypatch.undo()
    assert APIClient().get(api.get(f"/api/files/{ticket['file']['id']}/download/").json()["url"]).status_code == 200


@pytest.mark.parametrize(
    "filename", ["résumé 東京.csv", 'quote"and;semicolon.csv', "emoji-📄.csv", "percent%20name.csv"]
)
def test_a_download_carries_the_exact_file_name(api: APIClient, filename: str) -> None:
    ticket = complete(api, filename)
    fetched = APIClient().get(api.get(f"/api/files/{ticket['file']['id']}/download/").json()["url"])
    assert fetched.status_code == 200
    disposition = fetched["Content-Disposition"]
    assert disposition.isascii()
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.startswith("attachment")
    # What a browser reads from it (RFC 6266: filename*, else the quoted filename).
    header = Message()
    header["Content-Disposition"] = disposition
    assert header.get_filename() == filename


def test_a_file_name_with_line_breaks_never_reaches_a_header(api: APIClient) -> None:
    # Any name is kept as given (the list shows it); the download header encodes it.
    ticket = complete(api, "a\r\nSet-Cookie: x=1.csv")
    fetched = APIClient().get(api.get(f"/api/files/{ticket['file']['id']}/download/").json()["url"])
    assert fetched.status_code == 200
    assert "Set-Cookie" not in fetched.headers
    assert "\n" not in fetched["Content-Disposition"]
    header = Message()
    header["Content-Disposition"] = fetched["Content-Disposition"]
    assert header.get_filename() == "a\r\nSet-Cookie: x=1.csv"


@pytest.mark.parametrize("key", ["../outside", "uploads/../../outside", "/etc/passwd", "uploads/1/../../../outside"])
def test_no_key_reaches_outside_the_storage_root(tmp_path: Path, key: str) -> None:
    storage = LocalUploadStorage(tmp_path / "media")
    (tmp_path / "media").mkdir()
    with pytest.raises(ValueError, match="escapes the storage root"):
        storage.path(key)
    with pytest.raises(ValueError):
        storage.save(key, "text/plain", [b"x"])
    assert not (tmp_path / "outside").exists()


def test_a_link_inside_the_root_pointing_outside_is_refused(tmp_path: Path) -> None:
    (tmp_path / "media" / "uploads").mkdir(parents=True)
    (tmp_path / "secret").write_text("not yours")
    os.symlink(tmp_path / "secret", tmp_path / "media" / "uploads" / "link")
    with pytest.raises(ValueError):
        LocalUploadStorage(tmp_path / "media").open("uploads/link")


def test_the_signing_endpoints_answer_nothing_once_a_bucket_is_configured(api: APIClient, settings: Any) -> None:
    ticket = complete(api)
    download_url = api.get(f"/api/files/{ticket['file']['id']}/download/").json()["url"]
    upload = start_upload(api)
    before = sorted(Path(settings.MEDIA_ROOT).rglob("*"))
    settings.FILE_STORAGE = "s3"
    assert APIClient().get(download_url).status_code == 404
    form = dict(upload["upload"]["fields"], file=_file())
    assert APIClient().post(reverse("files-local-upload"), form, format="multipart").status_code == 404
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == before
