"""Install, check, build and serve the generated Next.js frontend the way its Dockerfile does.

The install and build are the session's shared ``default_frontend`` (support/frontend_plugin.py), which the
browser journeys reuse, so a session pays for ``npm install`` + ``next build`` once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.frontend import BUILD_TIMEOUT_SECONDS, BuiltFrontend, http_get, run_npm, standalone_server

pytest_plugins = ["support.frontend_plugin"]
pytestmark = pytest.mark.slow


def test_generated_frontend_builds_and_serves_home_page(
    generated_projects: dict[str, Path], default_frontend: BuiltFrontend, tmp_path: Path
) -> None:
    """The default project's frontend installs, type-checks, lints, builds standalone and serves "/"."""
    generated = generated_projects["default"] / "frontend"
    assert (generated / "package.json").is_file()
    assert not (generated / "package-lock.json").exists()
    frontend = default_frontend.directory

    run_npm(["npm", "run", "typecheck"], frontend, BUILD_TIMEOUT_SECONDS)
    run_npm(["npm", "run", "lint"], frontend, BUILD_TIMEOUT_SECONDS)
    standalone = frontend / ".next" / "standalone"
    assert (standalone / "server.js").is_file()
    # The postbuild script copies what the standalone output leaves out, as the Dockerfile does.
    assert any((standalone / ".next" / "static").iterdir())
    assert (standalone / "public" / "robots.txt").is_file()

    with standalone_server(frontend, tmp_path / "next.log") as base_url:
        status, html = http_get(base_url + "/")
        assert status == 200
        assert f"<title>{default_frontend.app_name}</title>" in html
        # The forms wait for the browser to know whether the visitor is signed in; the words do not.
        assert 'data-testid="app-description"' in html
        assert 'data-testid="auth-loading"' in html

        stylesheet = re.search(r'href="(/_next/static/[^"]+\.css)"', html)
        assert stylesheet is not None, "the home page links no stylesheet"
        assert http_get(base_url + stylesheet.group(1))[0] == 200

        assert http_get(base_url + "/healthz") == (200, '{"status":"ok"}')
        assert http_get(base_url + "/files")[0] == 200
        status, html = http_get(base_url + "/no-such-page")
        assert status == 404
        assert "Page not found" in html
