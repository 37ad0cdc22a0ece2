"""pytest plugin with the session's one build of the default frontend, and the stack the browser tests drive.

Test modules that need it declare ``pytest_plugins = ["support.frontend_plugin"]``. A plugin, unlike a
fixture imported into each module, is registered once, so the whole session shares one ``npm install``
+ ``next build``, one backend and one Chromium (the root conftest stays free of frontend concerns).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from support.accessibility import install_axe
from support.backend import RunningBackend, local_storage_backend
from support.browser import ACTION_TIMEOUT_MS, launch_chromium
from support.frontend import BuiltFrontend, build_frontend, standalone_server
from support.proxy import TcpProxy, tcp_proxy
from support.services import Services, free_port


@pytest.fixture(scope="session")
def backend_address() -> Iterator[TcpProxy]:
    """The backend's address for the whole session, bound now: the frontend's build fixes the URL it proxies to
    long before the backend starts, so a port merely picked at build time could be taken by then."""
    with tcp_proxy() as proxy:
        yield proxy


@pytest.fixture(scope="session")
def default_frontend(
    generated_projects: dict[str, Path], backend_address: TcpProxy, tmp_path_factory: pytest.TempPathFactory
) -> BuiltFrontend:
    """The default project's frontend, installed and built once per session for the session's backend address."""
    destination = tmp_path_factory.mktemp("frontend-build") / "frontend"
    return build_frontend(generated_projects["default"] / "frontend", destination, backend_port=backend_address.port)


@pytest.fixture(scope="session")
def browser_backend(
    backend_address: TcpProxy,
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
        port=free_port(),
        work_dir=tmp_path_factory.mktemp("browser-backend"),
    ) as running:
        backend_address.target_port = int(running.url.rsplit(":", 1)[1])
        yield running
        running.assert_running()


@pytest.fixture(scope="session")
def frontend_url(
    default_frontend: BuiltFrontend, browser_backend: RunningBackend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The standalone Next.js server in front of the backend."""
    log = tmp_path_factory.mktemp("browser-frontend") / "next.log"
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
