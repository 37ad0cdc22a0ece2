"""pytest plugin with the session's one build of the default frontend.

Test modules that need it declare ``pytest_plugins = ["support.frontend_plugin"]``. A plugin, unlike a
fixture imported into each module, is registered once, so the whole session shares one ``npm install``
+ ``next build`` (the root conftest stays free of frontend concerns).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.frontend import BuiltFrontend, build_frontend
from support.services import free_port


@pytest.fixture(scope="session")
def default_frontend(generated_projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> BuiltFrontend:
    """The default project's frontend, installed and built once per session for a backend on a port picked now."""
    destination = tmp_path_factory.mktemp("frontend-build") / "frontend"
    return build_frontend(generated_projects["default"] / "frontend", destination, backend_port=free_port())
