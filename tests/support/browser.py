"""Chromium via Playwright, and the user actions the browser journeys share (sign in, upload, ...)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, StorageState, ViewportSize, expect

CHROMIUM = Path("/usr/bin/chromium")
# Headless, quiet, and no name lookups except loopback: otherwise Chromium keeps asking for Google hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000
# Upload, completion, the worker's checksum and the notification (or polling) back to the page.
PROCESSING_TIMEOUT_MS = 60_000
# A laptop and a phone (an iPhone 14's CSS pixels): the sizes the screenshots and checks use.
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
# Screenshots of the main states, kept after the run (the repository's .work/ is git-ignored).
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".work" / "screenshots"
# The one the djaws README shows, rewritten by every browser run so a UI change shows up in `git diff`.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


@dataclass(frozen=True)
class Account:
    """Credentials of a user registered through the UI."""

    email: str
    password: str


def require_chromium() -> None:
    """Fail (not skip) without Debian's Chromium: the browser journeys are part of what this suite promises."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y --no-install-recommends chromium")


def launch_chromium(playwright: Playwright) -> Browser:
    """The system Chromium (never a downloaded one: ``playwright install`` needs the internet)."""
    require_chromium()
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def open_context(
    browser: Browser, base_url: str, storage_state: StorageState | None = None, viewport: ViewportSize = DESKTOP
) -> BrowserContext:
    """A fresh browser profile on the frontend (optionally signed in), with bounded timeouts."""
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        storage_state=storage_state,
        is_mobile=viewport["width"] < 640,
        has_touch=viewport["width"] < 640,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return context


@contextmanager
def watched_page(context: BrowserContext) -> Iterator[Page]:
    """A page in ``context`` that fails the test if its scripts throw; closes the context afterwards."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def save_screenshot(page: Page, state: str, also: Path | None = None) -> Path:
    """``.work/screenshots/<state>-<width>x<height>.png`` of the page as shown now (the viewport, not the full page);
    the same bytes go to ``also`` too when given (README_SCREENSHOT)."""
    viewport = page.viewport_size
    assert viewport is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{state}-{viewport['width']}x{viewport['height']}.png"
    image = page.screenshot(path=path, animations="disabled", caret="hide")
    if also is not None:
        also.parent.mkdir(parents=True, exist_ok=True)
        also.write_bytes(image)
    return path


def register(page: Page, account: Account) -> None:
    """Create the account with the form on "/" (after switching to it); registering signs in and opens /files."""
    page.goto("/")
    page.get_by_test_id("show-register").click()
    page.get_by_test_id("register-email").fill(account.email)
    page.get_by_test_id("register-password").fill(account.password)
    page.get_by_test_id("register-submit").click()
    page.wait_for_url("**/files")
    expect(page.get_by_test_id("current-user")).to_have_text(account.email)


def sign_in(page: Page, account: Account) -> None:
    """Sign in with the form on "/" and wait for the files page to show who is signed in."""
    page.goto("/")
    page.get_by_test_id("signin-email").fill(account.email)
    page.get_by_test_id("signin-password").fill(account.password)
    page.get_by_test_id("signin-submit").click()
    page.wait_for_url("**/files")
    expect(page.get_by_test_id("current-user")).to_have_text(account.email)


def file_row(page: Page, filename: str) -> Locator:
    """The list row of the file with this name."""
    return page.get_by_test_id("file-row").and_(page.locator(f'[data-filename="{filename}"]'))


def choose_file(page: Page, path: Path) -> None:
    """Pick a file in the upload form (once the backend's upload rules are shown)."""
    expect(page.get_by_test_id("allowed-types")).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(path)
    expect(page.get_by_test_id("selected-file")).to_contain_text(path.name)


def upload(page: Page, path: Path) -> Locator:
    """Upload a file with the form on /files, wait until it is processed ("Ready"); return its row."""
    choose_file(page, path)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-status")).to_have_text(f"Uploaded {path.name}.")
    row = file_row(page, path.name)
    expect(row).to_have_attribute("data-status", "processed", timeout=PROCESSING_TIMEOUT_MS)
    expect(row.get_by_test_id("file-status")).to_have_text("Ready")
    return row


def delete(page: Page, filename: str) -> None:
    """Delete a file from the list: the Delete button, then the confirmation's Delete."""
    row = file_row(page, filename)
    row.get_by_role("button", name=f"Delete {filename}").click()
    row.get_by_test_id("file-delete-confirm").click()
    expect(row).to_have_count(0)
