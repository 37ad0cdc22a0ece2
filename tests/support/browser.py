"""Chromium via Playwright, and the user actions the browser journeys share (sign in, upload, ...)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, StorageState, expect

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


def open_context(browser: Browser, base_url: str, storage_state: StorageState | None = None) -> BrowserContext:
    """A fresh browser profile on the frontend (optionally signed in), with bounded timeouts."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, storage_state=storage_state
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


def register(page: Page, account: Account) -> None:
    """Create the account with the registration form on "/" and wait for its confirmation."""
    page.goto("/")
    page.get_by_test_id("register-email").fill(account.email)
    page.get_by_test_id("register-password").fill(account.password)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("register-success")).to_contain_text(account.email)


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


def upload(page: Page, path: Path) -> Locator:
    """Upload a file with the form on /files, wait until it is processed ("Ready"); return its row."""
    page.get_by_label("File", exact=True).set_input_files(path)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-status")).to_have_attribute("data-phase", "done")
    row = file_row(page, path.name)
    expect(row).to_have_attribute("data-status", "processed", timeout=PROCESSING_TIMEOUT_MS)
    expect(row.get_by_test_id("file-status")).to_have_text("Ready")
    return row
