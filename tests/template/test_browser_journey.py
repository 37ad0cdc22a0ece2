"""The generated project in a real browser: Chromium drives the built Next.js frontend against the backend.

The default project's standalone frontend proxies /api/* and /ws/* to one uvicorn serving the backend
(ENVIRONMENT=local: PostgreSQL 16 and Redis 7 from the test setup, files on local disk, uploaded and
downloaded through the proxy) while a real Celery worker processes the uploads (the stack is the session's:
support/frontend_plugin.py). Journeys: register (which signs in), sign in (and a wrong password), upload
until Ready, live updates over the proxied websocket, download the same bytes, delete, another user's
view, sign out. test_browser_experience.py checks what a first-time user sees on the way.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from support.backend import RunningBackend
from support.browser import (
    PROCESSING_TIMEOUT_MS,
    Account,
    file_row,
    open_context,
    register,
    require_chromium,
    sign_in,
    upload,
    watched_page,
)
from support.frontend import require_node

pytest_plugins = ["support.frontend_plugin"]
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.services]

PASSWORD = "correct-horse-battery-staple"
IDLE_SOCKET_SECONDS = 11


def new_account() -> Account:
    """Credentials nobody has registered yet."""
    return Account(email=f"e2e-{uuid.uuid4().hex[:10]}@example.com", password=PASSWORD)


def write_text_file(directory: Path, stem: str) -> Path:
    """A small plain-text file with a name and content unique to this call."""
    path = directory / f"{stem}-{uuid.uuid4().hex[:6]}.txt"
    path.write_bytes(f"{stem}\nline two: {uuid.uuid4()}\n".encode())
    return path


@pytest.fixture(scope="session", autouse=True)
def required_programs() -> None:
    """Fail at once (not skip, and not after the build) without Chromium or Node.js."""
    require_chromium()
    require_node()


@pytest.fixture
def page(chromium: Browser, frontend_url: str) -> Iterator[Page]:
    """A signed-out page in its own profile; fails the test if the page throws."""
    with watched_page(open_context(chromium, frontend_url)) as signed_out:
        yield signed_out


@pytest.fixture(scope="module")
def account(chromium: Browser, frontend_url: str) -> Account:
    """A user registered through the form, shared by the module's journeys."""
    registered = new_account()
    with watched_page(open_context(chromium, frontend_url)) as registration:
        register(registration, registered)
    return registered


@pytest.fixture(scope="module")
def signed_in_state(chromium: Browser, frontend_url: str, account: Account) -> StorageState:
    """The browser storage (tokens in localStorage) after one sign-in through the form."""
    with watched_page(open_context(chromium, frontend_url)) as sign_in_page:
        sign_in(sign_in_page, account)
        return sign_in_page.context.storage_state()


@pytest.fixture
def signed_in_page(
    chromium: Browser, frontend_url: str, signed_in_state: StorageState, account: Account
) -> Iterator[Page]:
    """The files page, signed in as ``account`` from the shared state; fails the test if the page throws."""
    with watched_page(open_context(chromium, frontend_url, signed_in_state)) as files_page:
        files_page.goto("/files")
        expect(files_page.get_by_test_id("current-user")).to_have_text(account.email)
        yield files_page


def test_register_new_account_signs_in(page: Page) -> None:
    """Registering signs the new user in: /files opens with their e-mail, without typing the password again."""
    fresh = new_account()
    register(page, fresh)
    expect(page.get_by_test_id("files-empty")).to_be_visible()
    assert page.evaluate("() => window.localStorage.length") == 2


def test_register_taken_email_shows_error(page: Page, account: Account) -> None:
    """Registering an e-mail twice is refused in plain words beside the field, with a way to sign in."""
    page.goto("/")
    page.get_by_test_id("show-register").click()
    page.get_by_test_id("register-email").fill(account.email)
    page.get_by_test_id("register-password").fill(PASSWORD)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("register-email-error")).to_have_text("An account with this email already exists.")
    expect(page.get_by_test_id("register-email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("register-error")).to_have_count(0)
    page.get_by_test_id("show-signin").click()
    expect(page.get_by_test_id("signin-email")).to_have_value(account.email)


def test_sign_in_wrong_password_shows_error(page: Page, account: Account, frontend_url: str) -> None:
    """A wrong password keeps the visitor on "/" with an error and no tokens."""
    page.goto("/")
    page.get_by_test_id("signin-email").fill(account.email)
    page.get_by_test_id("signin-password").fill(PASSWORD + "-wrong")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_have_text("Wrong email or password.")
    expect(page.get_by_test_id("signin-submit")).to_be_enabled()
    expect(page).to_have_url(f"{frontend_url}/")
    assert page.evaluate("() => window.localStorage.length") == 0


def test_sign_in_valid_credentials_opens_files(page: Page, account: Account) -> None:
    """Signing in leads to /files with the user's e-mail and the upload form."""
    sign_in(page, account)
    expect(page.get_by_test_id("dropzone")).to_be_visible()
    expect(page.get_by_test_id("allowed-types")).to_contain_text("Text file")
    expect(page.get_by_test_id("allowed-types")).to_contain_text("up to 20 MB")


def test_upload_text_file_becomes_ready(
    signed_in_page: Page, browser_backend: RunningBackend, frontend_url: str, tmp_path: Path
) -> None:
    """An upload goes through the proxy to local storage, the worker processes it, the row turns Ready."""
    page = signed_in_page
    path = write_text_file(tmp_path, "notes")
    with page.expect_websocket() as socket_info:
        page.reload()
    # The browser talks to the frontend's origin only: Next.js proxies the upgrade to the backend.
    assert socket_info.value.url.startswith(f"{frontend_url.replace('http://', 'ws://')}/ws/notifications/?token=")
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-connected", "true")

    with page.expect_response(lambda response: "/api/files/local/upload/" in response.url) as storage_info:
        row = upload(page, path)

    # Local storage's upload endpoint is path-only, so the bytes went through the frontend's proxy.
    assert storage_info.value.url == f"{frontend_url}/api/files/local/upload/"
    assert storage_info.value.status == 204
    expect(row.get_by_test_id("file-name")).to_have_text(path.name)
    expect(row.get_by_test_id("file-type")).to_have_text("Text file")
    # The checksum is a detail: out of the row's summary, shown when the row's details are opened.
    expect(row.get_by_test_id("file-checksum")).to_be_hidden()
    row.get_by_test_id("file-details-toggle").click()
    expect(row.get_by_test_id("file-checksum")).to_have_text(hashlib.sha256(path.read_bytes()).hexdigest())
    expect(row.get_by_role("button", name=f"Download {path.name}")).to_be_enabled()
    file_id = row.get_attribute("data-file-id")
    assert f"processed file {file_id}" in browser_backend.log("worker"), "the upload was not processed on the worker"

    page.reload()
    expect(file_row(page, path.name)).to_have_attribute("data-status", "processed")


def test_live_updates_survive_idle_socket(
    signed_in_page: Page, browser_backend: RunningBackend, tmp_path: Path
) -> None:
    """The notification socket stays open while idle, then brings the worker's file.processed event."""
    page = signed_in_page
    with page.expect_websocket() as socket_info:
        page.reload()
    socket = socket_info.value
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-connected", "true")
    # channels-redis waits for messages in BZPOPMIN rounds of 5 s: idle through two of them.
    try:
        socket.wait_for_event("close", timeout=IDLE_SOCKET_SECONDS * 1000)
    except PlaywrightTimeoutError:
        pass
    else:
        errors = [line for line in browser_backend.log("asgi").splitlines() if "Error" in line]
        pytest.fail(f"the notification socket closed while idle; the backend's last error: {errors[-1:]}")
    path = write_text_file(tmp_path, "live")

    with socket.expect_event(
        "framereceived", lambda payload: "file.processed" in str(payload), timeout=PROCESSING_TIMEOUT_MS
    ) as frame_info:
        row = upload(page, path)

    event = json.loads(frame_info.value)
    assert event["type"] == "file.processed"
    assert str(event["file"]["id"]) == row.get_attribute("data-file-id")
    assert event["file"]["status"] == "processed"
    assert event["file"]["checksum_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not socket.is_closed()


def test_download_ready_file_matches_upload(signed_in_page: Page, frontend_url: str, tmp_path: Path) -> None:
    """Download through the proxied local-storage link returns the uploaded bytes under the file's name."""
    page = signed_in_page
    path = write_text_file(tmp_path, "download")
    row = upload(page, path)

    with page.expect_download() as download_info:
        row.get_by_role("button", name=f"Download {path.name}").click()
    download = download_info.value

    assert download.failure() is None
    assert download.url.startswith(f"{frontend_url}/api/files/local/download/")
    assert download.suggested_filename == path.name
    assert Path(download.path()).read_bytes() == path.read_bytes()


def test_delete_file_removes_row(signed_in_page: Page, tmp_path: Path) -> None:
    """Deleting removes the row, and it stays gone after a reload."""
    page = signed_in_page
    path = write_text_file(tmp_path, "delete")
    row = upload(page, path)

    row.get_by_role("button", name=f"Delete {path.name}").click()
    expect(row.get_by_test_id("delete-confirmation")).to_be_visible()
    row.get_by_test_id("file-delete-confirm").click()

    expect(file_row(page, path.name)).to_have_count(0)
    expect(page.get_by_test_id("files-notice")).to_have_text(f"Deleted {path.name}.")
    page.reload()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    expect(page.get_by_test_id("files-list").or_(page.get_by_test_id("files-empty"))).to_be_visible()
    expect(file_row(page, path.name)).to_have_count(0)


def test_files_other_user_sees_none(signed_in_page: Page, page: Page, tmp_path: Path) -> None:
    """A second user's list is empty while the first user has a file."""
    path = write_text_file(tmp_path, "private")
    upload(signed_in_page, path)
    stranger = new_account()

    register(page, stranger)

    expect(page.get_by_test_id("files-empty")).to_be_visible()
    expect(page.get_by_test_id("file-row")).to_have_count(0)
    expect(file_row(signed_in_page, path.name)).to_have_count(1)


def test_sign_out_returns_to_home(page: Page, account: Account, frontend_url: str) -> None:
    """Signing out lands on "/" with the sign-in form, and /files no longer opens."""
    sign_in(page, account)

    page.get_by_test_id("sign-out").click()

    page.wait_for_url(f"{frontend_url}/")
    expect(page.get_by_test_id("signin-email")).to_be_visible()
    assert page.evaluate("() => window.localStorage.length") == 0
    page.goto("/files")
    page.wait_for_url(f"{frontend_url}/")
    expect(page.get_by_test_id("signin-submit")).to_be_visible()
