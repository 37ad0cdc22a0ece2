"""Jinja filters that give the template the names computed by ``djaws.naming``.

Cookiecutter puts this directory on ``sys.path`` and loads the extension named in
``cookiecutter.json``. The naming module is loaded by path so the template also works with plain
``cookiecutter`` from a checkout, without djaws installed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from jinja2.ext import Extension

_NAMING_PATH = Path(__file__).resolve().parent.parent / "naming.py"


def _load_naming() -> Any:
    if "djaws.naming" in sys.modules:
        return sys.modules["djaws.naming"]
    spec = importlib.util.spec_from_file_location("djaws_template_naming", _NAMING_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the naming module from {_NAMING_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


naming = _load_naming()


class NamingExtension(Extension):
    """Adds ``project_slug`` and ``resource_prefix`` filters and an ``aws_names`` global."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.filters["project_slug"] = naming.project_slug
        environment.filters["resource_prefix"] = naming.resource_prefix
        environment.globals["aws_names"] = lambda project_name: naming.derive_names(project_name).as_dict()
        # tojson keeps the naming module's order: names.json lists the environments from demo to prod.
        environment.policies["json.dumps_kwargs"] = {"sort_keys": False}
