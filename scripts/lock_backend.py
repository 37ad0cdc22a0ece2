"""Re-make the generated backend's uv.lock for every option set that changes its dependencies.

Run after editing the template's backend/pyproject.toml: ``.venv/bin/python scripts/lock_backend.py``.
The locks ship inside the template, so ``djaws new`` never resolves anything over the network.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jinja2

BACKEND = Path(__file__).resolve().parents[1] / "src/djaws/template/{{cookiecutter.project_slug}}/backend"


def render_pyproject(use_celery: str, use_websocket: str) -> str:
    """The backend pyproject.toml as the template renders it for these options."""
    template = jinja2.Template((BACKEND / "pyproject.toml").read_text(), keep_trailing_newline=True)
    context = {"description": "lock", "use_celery": use_celery, "use_websocket": use_websocket}
    return template.render(cookiecutter=context)


def main() -> int:
    uv = shutil.which("uv")
    if uv is None:
        sys.exit("uv is not on PATH")
    for use_celery, use_websocket in itertools.product("yn", "yn"):
        variant = f"celery-{'on' if use_celery == 'y' else 'off'}_websocket-{'on' if use_websocket == 'y' else 'off'}"
        with tempfile.TemporaryDirectory() as workdir:
            (Path(workdir) / "pyproject.toml").write_text(render_pyproject(use_celery, use_websocket))
            # Start from the shipped lock so only what the pyproject change requires moves.
            shutil.copy(BACKEND / "locks" / f"{variant}.lock", Path(workdir) / "uv.lock")
            subprocess.run([uv, "lock", "--quiet"], cwd=workdir, check=True)
            shutil.copy(Path(workdir) / "uv.lock", BACKEND / "locks" / f"{variant}.lock")
        print(f"locked {variant}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
