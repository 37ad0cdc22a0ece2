"""How much of an image is its base and how much the project's own layers (podman image inspect / history).

The bases here are Debian stand-ins made by support.containers, not the official images production pulls, so
only the project's layers (what the Dockerfile's final stage adds on top of its base) say anything about the
project; the base's size is reported beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from support.containers import NODE, PYTHON, podman

MB = 1e6
# The base each generated Dockerfile's final stage starts FROM (support.containers tags the stand-ins so).
RUNTIME_BASES = {"backend": PYTHON, "frontend": NODE}


@dataclass(frozen=True)
class Layer:
    """One step of the image's history that added bytes."""

    size_mb: float
    created_by: str


@dataclass(frozen=True)
class ImageSizes:
    """An image's total, its base's and its own layers' sizes in MB (10^6 bytes, as `docker images` shows)."""

    image: str
    base: str
    total_mb: float
    base_mb: float
    project_layers: tuple[Layer, ...]

    @property
    def project_mb(self) -> float:
        """What the project's Dockerfile adds on top of the base."""
        return self.total_mb - self.base_mb


def inspect(image: str) -> dict:
    """`podman image inspect` of one image."""
    return json.loads(podman("image", "inspect", image).stdout)[0]


def image_sizes(image: str, base: str) -> ImageSizes:
    """Split an image into its base and the layers on top; fails if the image is not built FROM that base."""
    image_layers = inspect(image)["RootFS"]["Layers"]
    base_info = inspect(base)
    base_layers = base_info["RootFS"]["Layers"]
    if image_layers[: len(base_layers)] != base_layers:
        raise AssertionError(f"{image} is not built on {base}")
    history = json.loads(podman("history", "--format", "json", image).stdout)
    # History is newest first; the base's own steps are the oldest ones (its history has as many entries).
    own_steps = history[: len(history) - len(json.loads(podman("history", "--format", "json", base).stdout))]
    layers = tuple(
        Layer(step["size"] / MB, " ".join(step["CreatedBy"].replace("/bin/sh -c #(nop) ", "").split()))
        for step in reversed(own_steps)
        if step["size"]
    )
    return ImageSizes(image, base, inspect(image)["Size"] / MB, base_info["Size"] / MB, layers)
