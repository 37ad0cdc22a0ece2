"""What a first-time user of the generated frontend sees, in Chromium against the real backend and worker.

The stack is the session's (support/frontend_plugin.py). Checked here: a file's status never goes back
when the worker beats the `/complete/` response; axe-core finds nothing on any page or state at a
laptop's and a phone's size (with the phone's tap targets measured); the keyboard focus after each
action; registering signs in; no page flashes before its redirect; errors in plain words; uploads
checked in the browser against the backend's policy; the file list's details, confirmation, download
feedback, drop area and messages that go away; the 404 page; the landing page's words. Screenshots of
the main states go to .work/screenshots/, the laptop-sized file list also to docs/screenshot.png (the
README's picture; support/browser.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import APIResponse, Browser, Page, Route, StorageState, ViewportSize, expect
from support.accessibility import assert_accessible, assert_tap_targets, focused
from support.browser import (
    ACTION_TIMEOUT_MS,
    DESKTOP,
    PROCESSING_TIMEOUT_MS,
    README_SCREENSHOT,
    VIEWPORTS,
    Account,
    choose_file,
    file_row,
    open_context,
    register,
    save_screenshot,
    sign_in,
    upload,
    watched_page,
)
from support.frontend import BuiltFrontend

pytest_plugins = ["support.frontend_plugin"]
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.services]

PASSWORD = "correct-horse-battery-staple"
# How long the pages keep a success message (NOTICE_DURATION_MS in src/lib/config.ts), plus slack.
MESSAGE_GONE_TIMEOUT_MS = 6000 + ACTION_TIMEOUT_MS
# Records which of these parts of a page were ever in the document, however briefly.
RECORD_RENDERED = """
window.__rendered = new Set();
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) {
    if (!(node instanceof Element)) continue;
    for (const element of [node, ...node.querySelectorAll('[data-testid]')]) {
      const testId = element.getAttribute('data-testid');
      if (testId) window.__rendered.add(testId);
    }
  }
}).observe(document, {childList: true, subtree: true});
"""

OpenPage = Callable[..., Page]


def new_account() -> Account:
    """Credentials nobody has registered yet."""
    return Account(email=f"ux-{uuid.uuid4().hex[:10]}@example.com", password=PASSWORD)


def write_text_file(directory: Path, stem: str) -> Path:
    """A small plain-text file with a name and content unique to this call."""
    path = directory / f"{stem}-{uuid.uuid4().hex[:6]}.txt"
    path.write_bytes(f"{stem}\nline two: {uuid.uuid4()}\n".encode())
    return path


@pytest.fixture
def open_page(chromium: Browser, frontend_url: str) -> Iterator[OpenPage]:
    """Makes pages in fresh profiles (a viewport, optionally signed in); each fails the test if it throws."""
    with ExitStack() as stack:

        def make(viewport: ViewportSize = DESKTOP, storage_state: StorageState | None = None) -> Page:
            context = open_context(chromium, frontend_url, storage_state, viewport)
            return stack.enter_context(watched_page(context))

        yield make


@pytest.fixture(scope="module")
def signed_in_state(chromium: Browser, frontend_url: str) -> StorageState:
    """The browser storage of a user registered (and so signed in) through the form."""
    with watched_page(open_context(chromium, frontend_url)) as registration:
        register(registration, new_account())
        return registration.context.storage_state()


def rendered(page: Page) -> set[str]:
    """The data-testid of everything RECORD_RENDERED saw added to the page."""
    return set(page.evaluate("() => [...window.__rendered]"))


def test_processed_status_stays_when_complete_answers_after_the_worker(
    open_page: OpenPage, signed_in_state: StorageState, tmp_path: Path
) -> None:
    """The worker's file.processed arrives first; the older "uploaded" from /complete/ then changes nothing."""
    page = open_page(storage_state=signed_in_state)
    with page.expect_websocket() as socket_info:
        page.goto("/files")
    socket = socket_info.value
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-connected", "true")
    # /complete/ reaches the backend at once, but its answer is held until the socket has brought the event.
    held: list[tuple[Route, APIResponse]] = []
    page.route("**/api/files/*/complete/", lambda route: held.append((route, route.fetch())))
    path = write_text_file(tmp_path, "race")
    choose_file(page, path)

    with socket.expect_event(
        "framereceived",
        lambda payload: "file.processed" in str(payload) and path.name in str(payload),
        timeout=PROCESSING_TIMEOUT_MS,
    ):
        page.get_by_test_id("upload-submit").click()
    row = file_row(page, path.name)
    expect(row).to_have_attribute("data-status", "processed")
    expect(page.get_by_test_id("upload-status")).to_have_attribute("data-phase", "finishing")
    # The handler's fetch may still be under way: waiting in Playwright lets it finish.
    for _ in range(ACTION_TIMEOUT_MS // 100):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1, "the /complete/ request never reached the route"
    route, response = held[0]
    assert response.json()["status"] == "uploaded", "the response is not older than the event"

    route.fulfill(response=response)

    expect(page.get_by_test_id("upload-status")).to_have_text(f"Uploaded {path.name}.")
    # Read once, right after the response was applied: no poll can have put "processed" back.
    assert row.get_attribute("data-status") == "processed"
    expect(row.get_by_test_id("file-status")).to_have_text("Ready")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_page_and_state_has_no_axe_violations(
    open_page: OpenPage, axe_source: str, size: str, tmp_path: Path
) -> None:
    """Landing, its errors, registration, empty and full lists, an upload error, details, confirmation, 404."""
    page = open_page(viewport=VIEWPORTS[size])

    def check(state: str) -> None:
        assert_accessible(page, axe_source, f"{state} at {size}")
        if VIEWPORTS[size]["width"] < 640:
            assert_tap_targets(page, state)
        # The laptop-sized list of processed files is the README's picture of the product.
        readme = README_SCREENSHOT if (state, VIEWPORTS[size]) == ("files-list", DESKTOP) else None
        save_screenshot(page, state, also=readme)

    page.goto("/")
    expect(page.get_by_test_id("signin-email")).to_be_visible()
    check("landing")
    page.get_by_test_id("signin-email").fill("nobody@example.com")
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_be_visible()
    check("sign-in-error")
    page.get_by_test_id("show-register").click()
    account = new_account()
    page.get_by_test_id("register-email").fill(account.email)
    check("register")
    page.get_by_test_id("register-password").fill(account.password)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("files-empty")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_be_in_viewport()
    check("files-empty")

    refused = tmp_path / "settings.json"
    refused.write_text('{"not": "accepted"}\n', encoding="utf-8")
    choose_file(page, refused)
    expect(page.get_by_test_id("upload-error")).to_be_visible()
    check("upload-error")

    first = upload(page, write_text_file(tmp_path, "report"))
    upload(page, write_text_file(tmp_path, "notes"))
    check("files-list")
    first.get_by_test_id("file-details-toggle").click()
    expect(first.get_by_test_id("file-checksum")).to_be_visible()
    check("file-details")
    first.get_by_test_id("file-delete").click()
    expect(first.get_by_test_id("delete-confirmation")).to_be_visible()
    check("delete-confirmation")

    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check("not-found")


def test_keyboard_focus_follows_each_action(open_page: OpenPage, tmp_path: Path) -> None:
    """Focus lands on what comes next after each action, never on the page body; text fields show a clear ring."""
    page = open_page()
    page.goto("/")
    email = page.get_by_test_id("signin-email")
    email.focus()
    style, width = email.evaluate(
        "(field) => [getComputedStyle(field).outlineStyle, getComputedStyle(field).outlineWidth]"
    )
    assert (style, float(width.removesuffix("px")) >= 2) == ("solid", True), f"focus ring: {style} {width}"

    page.get_by_test_id("show-register").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("register-email")).to_be_focused()
    account = new_account()
    page.keyboard.type(account.email)
    page.keyboard.press("Tab")
    page.keyboard.type(account.password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/files")
    expect(page.get_by_role("heading", level=1, name="Your files")).to_be_focused()

    path = write_text_file(tmp_path, "focus")
    choose_file(page, path)
    page.get_by_test_id("upload-submit").focus()
    page.keyboard.press("Enter")
    expect(file_row(page, path.name)).to_have_attribute("data-status", "processed", timeout=PROCESSING_TIMEOUT_MS)
    expect(page.get_by_test_id("file-input")).to_be_focused()

    row = file_row(page, path.name)
    row.get_by_test_id("file-delete").focus()
    page.keyboard.press("Enter")
    expect(row.get_by_test_id("file-delete-cancel")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row.get_by_test_id("file-delete")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(row.get_by_test_id("file-delete-confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row).to_have_count(0)
    expect(page.get_by_role("heading", name="Uploaded files")).to_be_focused()
    assert focused(page) != "body"


def test_register_signs_in_and_switching_forms_clears_errors(open_page: OpenPage) -> None:
    """One form at a time; errors stay with the form they belong to; field errors are in plain words."""
    page = open_page()
    page.goto("/")
    expect(page.get_by_test_id("signin-form")).to_have_count(1)
    expect(page.get_by_test_id("register-form")).to_have_count(0)
    page.get_by_test_id("signin-email").fill("nobody@example.com")
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_have_text("Wrong email or password.")

    page.get_by_test_id("show-register").click()
    expect(page.get_by_test_id("signin-error")).to_have_count(0)
    expect(page.get_by_test_id("register-email")).to_have_value("nobody@example.com")
    page.get_by_test_id("register-email").fill(new_account().email)
    page.get_by_test_id("register-password").fill("password123")
    page.get_by_test_id("register-submit").click()
    # Django's password validators answer for the request as a whole (non_field_errors): shown as written.
    register_error = page.get_by_test_id("register-error")
    expect(register_error).to_have_text("This password is too common.")

    page.get_by_test_id("show-signin").click()
    page.get_by_test_id("show-register").click()
    expect(register_error).to_have_count(0)


def test_no_page_shows_before_its_redirect(
    open_page: OpenPage, signed_in_state: StorageState, frontend_url: str
) -> None:
    """Signed out, /files never renders the dashboard; signed in, "/" never renders the sign-in form."""
    signed_out = open_page()
    signed_out.add_init_script(RECORD_RENDERED)
    signed_out.goto("/files")
    signed_out.wait_for_url(f"{frontend_url}/")
    expect(signed_out.get_by_test_id("signin-email")).to_be_visible()
    assert "files-loading" in rendered(signed_out)
    assert not rendered(signed_out) & {"upload-form", "files-card", "sign-out"}

    signed_in = open_page(storage_state=signed_in_state)
    signed_in.add_init_script(RECORD_RENDERED)
    signed_in.goto("/")
    signed_in.wait_for_url("**/files")
    expect(signed_in.get_by_test_id("current-user")).to_be_visible()
    assert "auth-loading" in rendered(signed_in)
    assert not rendered(signed_in) & {"signin-form", "signin-email", "register-form"}


def test_uploads_are_checked_in_the_browser_against_the_backend_policy(
    open_page: OpenPage, signed_in_state: StorageState, tmp_path: Path
) -> None:
    """A wrong type or size is refused before anything is sent, by the rules GET /api/files/policy/ serves."""
    page = open_page(storage_state=signed_in_state)
    started: list[str] = []
    page.on("request", lambda request: started.append(request.url) if "/api/files/uploads/" in request.url else None)
    page.goto("/files")
    refused = tmp_path / "data.json"
    refused.write_text("{}\n", encoding="utf-8")

    choose_file(page, refused)
    error = page.get_by_test_id("upload-error")
    expect(error).to_contain_text("\"data.json\" can't be uploaded because its type isn't accepted.")
    expect(error).to_contain_text("PNG image")
    expect(error).not_to_contain_text("application/json")
    expect(page.get_by_test_id("upload-submit")).to_be_disabled()

    # Served a stricter policy, the page enforces that one: it has no list of its own.
    strict = {"allowed_content_types": ["text/plain"], "max_bytes": 16}
    page.route("**/api/files/policy/", lambda route: route.fulfill(json=strict))
    page.reload()
    expect(page.get_by_test_id("allowed-types")).to_have_text("Text file, up to 16 B.")
    too_big = tmp_path / "long.txt"
    too_big.write_bytes(b"x" * 40)
    choose_file(page, too_big)
    expect(error).to_have_text('"long.txt" is 40 B, over the 16 B limit.')
    image = tmp_path / "pixel.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    choose_file(page, image)
    expect(error).to_have_text(
        "\"pixel.png\" can't be uploaded because its type isn't accepted. You can upload a Text file."
    )
    assert started == [], f"an upload started: {started}"

    # Served a looser one, the server's own refusal is shown in the same words, not as "content_type: ...".
    loose = {"allowed_content_types": ["application/json", "text/plain"], "max_bytes": 1024}
    page.unroute("**/api/files/policy/")
    page.route("**/api/files/policy/", lambda route: route.fulfill(json=loose))
    page.reload()
    choose_file(page, refused)
    page.get_by_test_id("upload-submit").click()
    expect(error).to_have_text(
        "\"data.json\" can't be uploaded because its type isn't accepted. You can upload a JSON file or Text file."
    )
    assert len(started) == 1


def test_file_list_drop_area_download_feedback_and_messages_that_go_away(
    open_page: OpenPage, signed_in_state: StorageState
) -> None:
    """A dropped file uploads; Download says it started; the success messages leave by themselves."""
    page = open_page(storage_state=signed_in_state)
    page.goto("/files")
    expect(page.get_by_test_id("allowed-types")).to_be_visible()
    name = f"dropped-{uuid.uuid4().hex[:6]}.txt"
    dropped = page.evaluate_handle(
        """(name) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File(['dropped from the desktop\\n'], name, {type: 'text/plain'}));
          return transfer;
        }""",
        name,
    )
    page.get_by_test_id("dropzone").dispatch_event("dragover", {"dataTransfer": dropped})
    expect(page.get_by_test_id("dropzone")).to_have_attribute("data-dragging", "true")
    page.get_by_test_id("dropzone").dispatch_event("drop", {"dataTransfer": dropped})
    expect(page.get_by_test_id("selected-file")).to_contain_text(name)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-status")).to_have_text(f"Uploaded {name}.")
    row = file_row(page, name)
    expect(row).to_have_attribute("data-status", "processed", timeout=PROCESSING_TIMEOUT_MS)
    expect(page.get_by_test_id("upload-status")).to_have_count(0, timeout=MESSAGE_GONE_TIMEOUT_MS)

    with page.expect_download() as download_info:
        row.get_by_test_id("file-download").click()
    expect(page.get_by_test_id("files-notice")).to_have_text(f"Downloading {name}…")
    assert Path(download_info.value.path()).read_bytes() == b"dropped from the desktop\n"
    expect(page.get_by_test_id("files-notice")).to_have_count(0, timeout=MESSAGE_GONE_TIMEOUT_MS)


def test_unknown_address_shows_branded_not_found_page_with_a_way_home(open_page: OpenPage, frontend_url: str) -> None:
    """A 404 keeps the site's header and offers the home page."""
    page = open_page()
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_test_id("app-name")).to_be_visible()
    page.get_by_test_id("go-home").click()
    page.wait_for_url(f"{frontend_url}/")
    expect(page.get_by_test_id("signin-email")).to_be_visible()


def test_landing_page_says_what_the_product_is(open_page: OpenPage, default_frontend: BuiltFrontend) -> None:
    """The project's name and its description from the generator, then the sign-in form."""
    config = json.loads((default_frontend.directory / "project.config.json").read_text(encoding="utf-8"))
    page = open_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(config["appName"])
    expect(page.get_by_test_id("app-description")).to_have_text(config["description"])
    expect(page.get_by_test_id("signin-form")).to_be_visible()


def test_sign_in_moves_focus_to_the_files_heading(open_page: OpenPage) -> None:
    """After signing in, the focus is on the files page's heading, not the page body."""
    account = new_account()
    registration = open_page()
    register(registration, account)
    page = open_page()
    sign_in(page, account)
    expect(page.get_by_role("heading", level=1, name="Your files")).to_be_focused()
