"""The address a request really came from, as the proxies this deployment trusts report it.

Every proxy in front of the app (the load balancer on ECS, nginx on the EC2 host, optionally
Cloudflare before either) appends the address it received the connection from to
X-Forwarded-For. Whatever a client writes into that header stays to the left of those entries, so
the client's address is the TRUSTED_PROXY_HOPS-th entry from the right, and never one further left.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(request: HttpRequest) -> str:
    """The client's IP address; REMOTE_ADDR when no proxy is trusted or the header is malformed."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    hops = settings.TRUSTED_PROXY_HOPS
    if hops == 0:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if not forwarded:
        # Not through the proxies (a health check, a request on the private network).
        return remote
    # Fewer entries than trusted hops: the leftmost one was still written by a trusted proxy.
    candidate = forwarded[-min(hops, len(forwarded))]
    return candidate if _valid(candidate) else remote
