"""Check a release through the site's public address, as a visitor reaches it.

ECS calls a service steady once its tasks pass the load balancer's health checks; these checks add
what a visitor needs: the backend ready (database and cache reachable) and the frontend answering.
When readiness fails, one more request carrying the readiness token asks the backend why, and the
error names each failing component with its reason.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from ops.environment import poll_seconds
from ops.errors import OpsError

READY_PATH = "/api/health/ready/"
READINESS_HEADER = "X-Readiness-Token"
FRONTEND_PATH = "/"
# A load balancer can need a few seconds after the rollout to route only to the new targets.
ATTEMPTS = 6
REQUEST_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Check:
    """One URL that must answer 200."""

    name: str
    url: str


def checks_for(base_url: str, has_frontend: bool) -> list[Check]:
    base = base_url.rstrip("/")
    checks = [Check("readiness", base + READY_PATH)]
    if has_frontend:
        checks.append(Check("frontend", base + FRONTEND_PATH))
    return checks


def status_of(url: str) -> str:
    """The HTTP status as text, or why there was none."""
    request = urllib.request.Request(url, headers={"User-Agent": "ops-verify"})  # noqa: S310 (the site's own URL)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            return str(response.status)
    except urllib.error.HTTPError as error:
        return str(error.code)
    except (urllib.error.URLError, OSError) as error:
        return f"no answer ({getattr(error, 'reason', error)})"


def failing_components(url: str, token: str) -> str:
    """What readiness says of each failing component to a request carrying the token; "" if it says nothing."""
    headers = {"User-Agent": "ops-verify", READINESS_HEADER: token}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (the site's own URL)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
    except (urllib.error.URLError, OSError):
        return ""
    try:
        components = json.loads(body)["components"]
        failing = [
            f"{name}: {component.get('detail', 'error')}"
            for name, component in components.items()
            if component.get("status") != "ok"
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    return " ".join("; ".join(failing).split())


def verify(base_url: str, has_frontend: bool, readiness_token: Callable[[], str] | None = None) -> None:
    """Every check answers 200 within a few attempts; else OpsError naming the first that does not.

    ``readiness_token`` fetches the token only when readiness has failed (it costs a Secrets Manager call).
    """
    for check in checks_for(base_url, has_frontend):
        for attempt in range(ATTEMPTS):
            status = status_of(check.url)
            if status == "200":
                break
            if attempt < ATTEMPTS - 1:
                time.sleep(poll_seconds())
        else:
            token = readiness_token() if check.name == "readiness" and readiness_token and status.isdigit() else ""
            why = failing_components(check.url, token) if token else ""
            reason = f" ({why})" if why else ""
            raise OpsError(f"{check.name} check failed: GET {check.url} answered {status}{reason}")
