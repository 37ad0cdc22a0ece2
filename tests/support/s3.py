"""S3 for tests and benchmarks: moto's server on a free port, with one bucket created.

moto stores any POSTed form; the server here checks each one as S3 does (signature, expiry, every
condition, every field bound) with the generated backend's own checker, which is written from the S3
specification and tested against its worked example (backend/tests/s3_post_policy.py in the template).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType

import boto3
from support.moto_server import moto_server

from djaws.generate import TEMPLATE_DIR

EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
POST_POLICY_CHECKER = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "backend" / "tests" / "s3_post_policy.py"


@cache
def post_policy_checker() -> ModuleType:
    """The template's S3 POST policy checker (plain Python, rendered unchanged), loaded from its file."""
    name = "template_s3_post_policy"
    spec = importlib.util.spec_from_file_location(name, POST_POLICY_CHECKER)
    assert spec is not None and spec.loader is not None, POST_POLICY_CHECKER
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextmanager
def s3_emulator(bucket: str, *, reachable_from_containers: bool = False) -> Iterator[str]:
    """Serve S3 with the bucket created; yields the endpoint URL (the one containers use, when asked for)."""
    secret_keys = {EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"]: EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
    with (
        post_policy_checker().enforcing_post_policies(secret_keys),
        moto_server(reachable_from_containers=reachable_from_containers) as server,
    ):
        boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            region_name=EMULATOR_CREDENTIALS["AWS_REGION"],
            aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=bucket)
        yield server.container_endpoint
