"""pytest plugin with the session's one build of the default frontend, and the stack the browser tests drive.

Test modules that need it declare ``pytest_plugins = ["support.frontend_plugin"]``. A plugin, unlike a
fixture imported into each module, is registered once, so the whole session shares one ``npm install``
+ ``next build``, one backend and one Chromium (the root conftest stays free of frontend concerns).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from support.accessibility import install_axe
from support.backend import LOG_TAIL_CHARACTERS, RunningBackend, local_storage_backend
from support.browser import ACTION_TIMEOUT_MS, launch_chromium
from support.frontend import BuiltFrontend, build_frontend, standalone_server
from support.services import Services

# The browser stack's process logs, by process name, once its fixtures have started them.
STACK_LOGS: dict[str, Path] = {}


@dataclass
class HeldPort:
    """A loopback port held by a bound socket that does not listen: nothing else can bind it until released."""

    holder: socket.socket = field(default_factory=socket.socket)
    port: int = 0

    def __post_init__(self) -> None:
        self.holder.bind(("127.0.0.1", 0))
        self.port = self.holder.getsockname()[1]

    def release(self) -> int:
        """Let go of the port, for a server to bind at once; returns it."""
        self.holder.close()
        return self.port


@pytest.fixture(scope="session")
def backend_address() -> Iterator[HeldPort]:
    """The backend's port for the whole session, held from now: the frontend's build fixes the URL it proxies to
    long before the backend starts, so a port merely picked at build time could be taken by then. The backend's
    fixture releases it just before the backend binds it."""
    held = HeldPort()
    try:
        yield held
    finally:
        held.holder.close()


@pytest.fixture(scope="session")
def default_frontend(
    generated_projects: dict[str, Path], backend_address: HeldPort, tmp_path_factory: pytest.TempPathFactory
) -> BuiltFrontend:
    """The default project's frontend, installed and built once per session for the session's backend address."""
    destination = tmp_path_factory.mktemp("frontend-build") / "frontend"
    return build_frontend(generated_projects["default"] / "frontend", destination, backend_port=backend_address.port)


@pytest.fixture(scope="session")
def browser_backend(
    backend_address: HeldPort,
    generated_projects: dict[str, Path],
    installed_backends: dict[str, Path],
    services: Services,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningBackend]:
    """The default backend (uvicorn + Celery worker), behind the address the frontend was built to proxy to."""
    with local_storage_backend(
        generated_projects["default"],
        installed_backends["default"],
        services,
        port=backend_address.release(),
        work_dir=tmp_path_factory.mktemp("browser-backend"),
    ) as running:
        STACK_LOGS.update({f"backend {name}": running.log_dir / f"{name}.log" for name in running.processes})
        yield running
        running.assert_running()


@pytest.fixture(scope="session")
def frontend_url(
    default_frontend: BuiltFrontend, browser_backend: RunningBackend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The standalone Next.js server in front of the backend."""
    log = tmp_path_factory.mktemp("browser-frontend") / "next.log"
    STACK_LOGS["frontend"] = log
    with standalone_server(default_frontend.directory, log) as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the session (not named ``browser``: pytest-playwright owns that name)."""
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core's browser script (the pinned version, installed from npm for this session)."""
    return install_axe(tmp_path_factory.mktemp("axe-core"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test's report ends with the stack's logs: a 500 on the page is explained in them."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and "frontend_url" in getattr(item, "fixturenames", ()):
        for name, path in STACK_LOGS.items():
            if path.exists():
                report.sections.append((f"{name} log (end)", path.read_text(errors="replace")[-LOG_TAIL_CHARACTERS:]))
