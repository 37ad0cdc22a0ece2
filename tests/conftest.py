"""Fixtures shared by the tool, template and infra tests."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from support.projects import OPTION_SETS_BY_NAME, generate_option_set, install_backend, install_ops
from support.services import Services, running_services

# CI explores the same examples every run (reproducible failures); local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _release(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a distributed run whose xdist groups would not hold (their tests share containers and applied stacks)."""
    if config.getoption("dist", "no") != "loadgroup":
        return
    if _release(pytest.__version__) >= (9, 2) and _release(importlib.metadata.version("pytest-xdist")) <= (3, 8):
        raise pytest.UsageError(
            f"pytest {pytest.__version__} keeps node ids where pytest-xdist adds its group: install pytest below 9.2"
        )


def _render_all(root: Path) -> dict[str, Path]:
    return {name: generate_option_set(option_set, root / name) for name, option_set in OPTION_SETS_BY_NAME.items()}


@pytest.fixture(scope="session")
def generated_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every supported option set, rendered once per session; backends get installed into these."""
    return _render_all(tmp_path_factory.mktemp("projects"))


@pytest.fixture(scope="session")
def rendered_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every option set exactly as rendered: nothing is ever installed or built in these."""
    return _render_all(tmp_path_factory.mktemp("rendered"))


class BackendInstaller(dict[str, Path]):
    """Maps option set name to its backend's python, running ``uv sync --locked`` the first time it is asked."""

    def __init__(self, projects: dict[str, Path]) -> None:
        super().__init__()
        self.projects = projects

    def __missing__(self, name: str) -> Path:
        python = install_backend(self.projects[name])
        self[name] = python
        return python


@pytest.fixture(scope="session")
def installed_backends(generated_projects: dict[str, Path]) -> BackendInstaller:
    """Generated backends, installed on first use."""
    return BackendInstaller(generated_projects)


@pytest.fixture(scope="session")
def installed_ops(generated_projects: dict[str, Path]) -> Path:
    """The default project's ops CLI, installed from its lock; its code is the same in every option set."""
    return install_ops(generated_projects["default"])


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    """PostgreSQL 16 and Redis 7 on loopback for the whole session, stopped at the end."""
    with running_services() as running:
        yield running
