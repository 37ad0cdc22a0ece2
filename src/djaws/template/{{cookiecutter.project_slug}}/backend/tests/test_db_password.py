"""The database password from Secrets Manager: read once, re-read once when refused, never in a loop.

Secrets Manager is moto's in-process emulator; the repository's tests rotate a real PostgreSQL password
under load (tests/template/test_password_rotation.py in djaws).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from config import db_password
from config.db_password import SecretPassword
from tests.conftest import PRODUCTION_VARIABLES, run_fresh

REGION = "us-east-1"


class Emulator:
    """A secret in moto, and a count of the GetSecretValue calls the backend makes."""

    def __init__(self) -> None:
        self.client = boto3.client("secretsmanager", region_name=REGION)
        self.arn = self.client.create_secret(Name="rds!db-test", SecretString=self.value("first"))["ARN"]
        self.reads = 0

    @staticmethod
    def value(password: str) -> str:
        """The secret as RDS writes it."""
        return json.dumps({"username": "app", "password": password})

    def count(self, **_: object) -> None:
        """botocore's before-call hook: one more GetSecretValue request."""
        self.reads += 1

    def rotate(self, password: str) -> None:
        """What a finished rotation leaves: the new value is AWSCURRENT."""
        self.client.put_secret_value(SecretId=self.arn, SecretString=self.value(password))

    def stage_pending(self, password: str) -> None:
        """Mid-rotation: the database already has the AWSPENDING value, AWSCURRENT still the old one."""
        self.client.put_secret_value(SecretId=self.arn, SecretString=self.value(password), VersionStages=["AWSPENDING"])


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """Secrets Manager in moto; every client made afterwards reports its GetSecretValue calls."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.setup_default_session()
        secrets = Emulator()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call.secrets-manager.GetSecretValue", secrets.count)
        yield secrets
        boto3.setup_default_session()


def test_password_is_read_once_and_cached(emulator: Emulator) -> None:
    password = SecretPassword(emulator.arn, REGION)
    assert [password.current() for _ in range(5)] == ["first"] * 5
    assert emulator.reads == 1


def test_refused_password_is_replaced_by_the_rotated_one(emulator: Emulator) -> None:
    password = SecretPassword(emulator.arn, REGION)
    assert password.current() == "first"
    emulator.rotate("second")
    assert password.reread(rejected="first") == "second"
    assert password.current() == "second"
    assert emulator.reads == 2


def test_mid_rotation_the_pending_password_is_tried(emulator: Emulator) -> None:
    password = SecretPassword(emulator.arn, REGION)
    password.current()
    emulator.stage_pending("second")
    assert password.reread(rejected="first") == "second"
    assert password.current() == "second"


def test_connections_refused_together_share_one_reread(emulator: Emulator) -> None:
    password = SecretPassword(emulator.arn, REGION)
    password.current()
    emulator.rotate("second")
    assert [password.reread(rejected="first") for _ in range(4)] == ["second"] * 4
    assert emulator.reads == 2


def test_back_to_back_rotations_are_each_picked_up(emulator: Emulator) -> None:
    password = SecretPassword(emulator.arn, REGION)
    password.accepted(password.current())
    for rejected, rotated in (("first", "second"), ("second", "third")):
        emulator.rotate(rotated)
        assert password.reread(rejected=rejected) == rotated
        password.accepted(rotated)


def test_wrong_password_in_an_unchanged_secret_is_not_reread_in_a_loop(emulator: Emulator) -> None:
    password = SecretPassword(emulator.arn, REGION)
    password.current()
    assert password.reread(rejected="first") is None
    reads_after_first_refusal = emulator.reads
    assert [password.reread(rejected="first") for _ in range(10)] == [None] * 10
    assert emulator.reads == reads_after_first_refusal == 3  # the first read, then AWSCURRENT and AWSPENDING once


def test_secret_without_a_password_field_is_named(emulator: Emulator) -> None:
    emulator.client.put_secret_value(SecretId=emulator.arn, SecretString="not json")
    with pytest.raises(RuntimeError, match="no JSON object with a password field"):
        SecretPassword(emulator.arn, REGION).current()


def test_one_cache_per_secret_and_process() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-one"
    assert db_password.secret_password(arn, REGION) is db_password.secret_password(arn, REGION)


# --- Settings: the secret replaces DB_PASSWORD beside the DB_* parts ------------------------------
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf"
PARTS = {"DB_HOST": "db.internal", "DB_USER": "app", "DB_NAME": "shop"}
# What prod requires, with the database given as parts rather than a URL with a password.
DEPLOYED = {key: value for key, value in PRODUCTION_VARIABLES.items() if key != "DATABASE_URL"}


def database_engine(**variables: str) -> str:
    """The database ENGINE and the secret's region ("-" when none) prod would start with, given these variables."""
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d.get('PASSWORD_SECRET_REGION', '-'))"
    )
    result = run_fresh([sys.executable, "manage.py", "shell", "-c", code], ENVIRONMENT="prod", **variables)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_secret_arn_selects_the_rotating_backend() -> None:
    assert database_engine(DB_PASSWORD_SECRET_ARN=ARN, **DEPLOYED, **PARTS) == "config.database eu-west-1"


def test_database_url_wins_over_the_parts_and_their_secret() -> None:
    """The EC2 host's .env has DATABASE_URL with the compose database's password and, for the host, an ARN."""
    engine = database_engine(DB_PASSWORD_SECRET_ARN=ARN, **PRODUCTION_VARIABLES)
    assert engine == "django.db.backends.postgresql -"


def test_prod_with_the_secret_passes_deploy_checks() -> None:
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = run_fresh(command, ENVIRONMENT="prod", DB_PASSWORD_SECRET_ARN=ARN, **DEPLOYED, **PARTS)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DB_PASSWORD_SECRET_ARN": ARN, "DB_PASSWORD": "secret", **PARTS}, "DB_PASSWORD"),
        ({"DB_PASSWORD_SECRET_ARN": "rds!db-0123", **PARTS}, "not a Secrets Manager secret ARN"),
        ({"DB_PASSWORD_SECRET_ARN": ARN}, "set DB_HOST"),
    ],
)
def test_unusable_secret_settings_stop_with_one_line(variables: dict[str, str], named: str) -> None:
    result = run_fresh([sys.executable, "manage.py", "check"], **variables)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert named in lines[0]
