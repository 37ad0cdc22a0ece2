"""The database password read from Secrets Manager, cached per process, re-read when it is rejected.

RDS keeps the master password in a Secrets Manager secret (JSON with a ``password`` field) and rotates it
every 7 days. A password handed to the process once, at start, stops working at the first rotation; this
reads it when a connection is opened instead. The cache keeps that to one call per process, and a rejected
password is re-read once: a rotation costs one retried connection, not a restart.

RDS changes the database's password before it moves the secret's AWSCURRENT label to the new value; a
connection opened in between is refused with the old password while AWSCURRENT still holds it. The
re-read then takes the AWSPENDING value, the password being rotated in.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

# A refused password that never opened a connection (a wrong secret, not a rotation) is re-read at most
# this often per process, so a misconfigured service cannot hammer Secrets Manager with a call per request.
REREAD_INTERVAL_SECONDS = 30.0
# Connections are opened while requests wait: fail fast rather than hold them.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


class SecretPassword:
    """The password held in one Secrets Manager secret, as this process last read it."""

    def __init__(self, secret_arn: str, region: str) -> None:
        self.secret_arn = secret_arn
        self.region = region
        self._lock = threading.Lock()
        self._password: str | None = None
        # Whether the cached password has opened a connection: if so, its refusal is news (a rotation).
        self._accepted = False
        self._last_reread = float("-inf")
        self._client: Any = None

    def current(self) -> str:
        """The cached password; read from Secrets Manager the first time."""
        with self._lock:
            if self._password is None:
                self._password = self._read("AWSCURRENT") or ""
            return self._password

    def accepted(self, password: str) -> None:
        """The database took ``password``: when it is refused later, the secret has changed since."""
        if password == self._password:
            self._accepted = True

    def reread(self, rejected: str) -> str | None:
        """A password to try after ``rejected`` was refused, or None when there is no other one to try.

        Threads that were refused together share one re-read: whoever comes second finds the cache
        already holding a different password and takes it. A password that never worked is re-read at
        most every REREAD_INTERVAL_SECONDS; one that worked is re-read at once.
        """
        with self._lock:
            if self._password is not None and self._password != rejected:
                return self._password
            now = time.monotonic()
            if not self._accepted and now - self._last_reread < REREAD_INTERVAL_SECONDS:
                return None
            self._accepted = False
            self._last_reread = now
            for stage in ("AWSCURRENT", "AWSPENDING"):
                password = self._read(stage)
                if password is not None and password != rejected:
                    logger.info("database password was refused; using the secret's %s value", stage)
                    self._password = password
                    return password
            logger.error("database password was refused and the secret holds no other one: %s", self.secret_arn)
            return None

    def _read(self, stage: str) -> str | None:
        """The secret's ``password`` at a version stage; None when no version has that stage but AWSCURRENT."""
        if self._client is None:
            # Created on first use, in the process that uses it: boto3 clients do not survive a fork.
            self._client = boto3.client("secretsmanager", region_name=self.region, config=CLIENT_CONFIG)
        try:
            response = self._client.get_secret_value(SecretId=self.secret_arn, VersionStage=stage)
        except ClientError as error:
            if stage != "AWSCURRENT" and error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        try:
            return str(json.loads(response["SecretString"])["password"])
        except (ValueError, KeyError, TypeError):
            raise RuntimeError(f"secret {self.secret_arn} holds no JSON object with a password field") from None


@cache
def secret_password(secret_arn: str, region: str) -> SecretPassword:
    """One cache per secret and process, shared by every connection to the database."""
    return SecretPassword(secret_arn, region)
