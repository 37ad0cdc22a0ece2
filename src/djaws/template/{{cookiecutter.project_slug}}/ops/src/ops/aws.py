"""boto3 clients for one environment's region, counting every AWS call a command makes.

The count goes into the deploy summary: it shows what a deploy costs in API calls and catches a
polling loop that runs away. ``AWS_ENDPOINT_URL`` (read by boto3 itself) points every client
elsewhere, for example at an emulator.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


class Aws:
    """One boto3 session in one region; ``calls`` counts API calls by ``service.Operation``."""

    def __init__(self, region: str) -> None:
        self.session = boto3.session.Session(region_name=region)
        self.calls: Counter[str] = Counter()
        self.session.events.register("before-call", self._count)
        self._clients: dict[str, Any] = {}

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.endpoint_prefix}:{model.name}"] += 1

    def client(self, service: str) -> Any:
        """A client for one service, created once."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=RETRIES)
        return self._clients[service]

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())
