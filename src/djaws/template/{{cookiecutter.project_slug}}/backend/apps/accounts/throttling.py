"""Rate limits on every credential endpoint: per client address and per account.

Per address stops one client from guessing many passwords; per account stops many addresses from
guessing one account's password. The account limit lets anyone who knows an e-mail address delay
that account's sign-ins for the rest of the window: the price of refusing distributed guessing.
Counts live in the cache (Redis when configured), shared by every web process.

When the cache cannot be reached the limits are not applied (fail open), with a warning logged per
request: refusing instead would stop every sign-in and token refresh, signing everyone out, for as
long as Redis is away, while each guess still costs the password hash's work.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from apps.core.client_address import client_address
from apps.core.errors import UNREACHABLE

logger = logging.getLogger(__name__)

# The form field that names the account, by endpoint kind (the admin's form calls it "username").
ACCOUNT_FIELDS = ("email", "username")


class FailOpenThrottle(SimpleRateThrottle):
    """A rate limit that lets requests through while the cache holding its counts is unreachable."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except UNREACHABLE["cache"] as error:
            logger.warning("rate limit %s not applied: the cache is unavailable (%s)", self.scope, error)
            return True


class AddressThrottle(FailOpenThrottle):
    """AUTH_THROTTLE_RATE per client address, the address taken from trusted proxies only."""

    scope = "auth"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


def submitted_account(request: Any) -> str | None:
    """The account a sign-in or registration names, normalised; None when there is none."""
    data = getattr(request, "data", None) if not isinstance(request, HttpRequest) else request.POST
    if not hasattr(data, "get"):
        return None
    for field in ACCOUNT_FIELDS:
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


class AccountThrottle(FailOpenThrottle):
    """AUTH_ACCOUNT_THROTTLE_RATE per account named in the request, whatever address it comes from."""

    scope = "auth_account"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        account = submitted_account(request)
        if account is None:
            return None
        digest = hashlib.sha256(account.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


CREDENTIAL_THROTTLES = [AddressThrottle, AccountThrottle]


def first_refusal(request: Any) -> float | None:
    """Apply both limits to a request outside DRF (the admin's login form): seconds to wait, or None."""
    for throttle_class in CREDENTIAL_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            return throttle.wait() or 60.0
    return None
