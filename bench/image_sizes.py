"""The generated project's backend and frontend images: total size, base, and the project's own layers.

Usage: .venv/bin/python bench/image_sizes.py [--layers]

Builds the default option set's images with podman as the tests do (support.containers; the first run on a machine
also makes the base images, a few minutes) and prints, per image, the base's size and what the Dockerfile's final
stage adds on top of it. The bases are Debian stand-ins for the official slim images, so the project's layers are
the figure that matters. `--layers` lists each of those layers. Asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path

from support.containers import ensure_base_images, project_images
from support.image_layers import RUNTIME_BASES, ImageSizes, image_sizes
from support.projects import OPTION_SETS_BY_NAME, generate_option_set


def print_table(sizes: dict[str, ImageSizes], build_seconds: dict[str, float], layers: bool) -> None:
    """One row per image, then (with `layers`) each project layer."""
    print(f"{'image':<10} {'total MB':>9} {'base MB':>8} {'project MB':>11} {'build s':>8}  base")
    for name, size in sizes.items():
        print(
            f"{name:<10} {size.total_mb:>9.1f} {size.base_mb:>8.1f} {size.project_mb:>11.1f} "
            f"{build_seconds[name]:>8.0f}  {size.base}"
        )
    total = sum(size.project_mb for size in sizes.values())
    print(f"{'project layers, both images':<41} {total:>8.1f}")
    if layers:
        for name, size in sizes.items():
            print(f"\n{name}'s own layers:")
            for layer in size.project_layers:
                print(f"  {layer.size_mb:>8.1f} MB  {layer.created_by[:110]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", action="store_true", help="list the project's layers of each image")
    arguments = parser.parse_args()
    ensure_base_images()
    with tempfile.TemporaryDirectory(prefix="djaws-image-sizes-") as work:
        project = generate_option_set(OPTION_SETS_BY_NAME["default"], Path(work))
        with project_images(project, f"localhost/djaws-bench-{uuid.uuid4().hex[:8]}") as images:
            built = {"backend": images.backend, "frontend": images.frontend}
            sizes = {name: image_sizes(image, RUNTIME_BASES[name]) for name, image in built.items()}
            print_table(sizes, images.build_seconds, arguments.layers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
