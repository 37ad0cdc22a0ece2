"""Fixtures for the template tests that run the generated project's images (podman, see support.containers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from support.containers import ProjectImages, ensure_base_images, project_images
from support.projects import OPTION_SETS_BY_NAME, generate_option_set


@pytest.fixture(scope="session")
def base_images() -> dict[str, float]:
    """The base images, made once per machine; the seconds each build took this session."""
    return ensure_base_images()


@pytest.fixture(scope="session")
def built_images(base_images: dict[str, float], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectImages]:
    """The default option set's backend and frontend images, built once per session (the xdist group
    "containers" keeps every module using them on one worker) and removed at its end.

    Their own render: the installed backends of `generated_projects` would only bloat the build context.
    The backend and frontend of every option set differ only in the project's name, so one build serves them all.
    """
    project = generate_option_set(OPTION_SETS_BY_NAME["default"], tmp_path_factory.mktemp("images"))
    with project_images(project, f"localhost/djaws-test-{uuid.uuid4().hex[:8]}") as images:
        yield images
