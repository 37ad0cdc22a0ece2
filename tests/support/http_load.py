"""A closed-loop HTTP load generator for a generated backend's API, run in its own process.

`python -m support.http_load < plan.json` prints one JSON document of figures. Its own process keeps its
interpreter (and GIL) apart from what it measures. Each of `connections` clients is one signed-in user on one
persistent HTTP/1.1 connection, sending its next request as soon as the last one is answered, through a fixed cycle
of liveness checks, file lists and uploads (start, the presigned POST to S3, complete). Clients start with an
access token the plan gives them and sign in again every SIGN_IN_EVERY requests, each at its own point of that
count: sign-ins (a deliberately slow password hash each) stay a steady share of the load instead of a burst at
the start. Raw asyncio streams, as the standard library has no asynchronous HTTP client.

A request that meets a reused connection the server has already closed (no byte of an answer arrived) is sent
once more on a new connection, as browsers and load balancers do; such retries are counted apart. Anything else
without an answer is a connection error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT_SECONDS = 30.0
SIGN_IN_EVERY = 100
# What each client does, in turn; "upload" is three requests (start, the presigned POST to S3, complete).
CYCLE = ("list", "live", "list", "upload", "list", "live", "list", "list")
EXPECTED_STATUS = {"live": 200, "token": 200, "list": 200, "upload start": 201, "s3 post": 204, "complete": 200}
UPLOAD_CONTENT = b"id,name\n1,load\n2,bench\n"
LIVENESS_PATH = "/api/health/"

# Run by `manage.py shell -c` with LOAD_USERS set: that many users with 20 processed files each, one password
# hashed once; prints their credentials and a first access token each as JSON (the plan's "users").
SEED_SCRIPT = """
import json, os
from django.contrib.auth.hashers import make_password
from rest_framework_simplejwt.tokens import AccessToken
from apps.accounts.models import User
from apps.files.models import UploadedFile
password = "load-bench-password"
hashed = make_password(password)  # once: hashing is deliberately slow
users = User.objects.bulk_create(
    User(email=f"load{number}@example.com", password=hashed) for number in range(int(os.environ["LOAD_USERS"]))
)
UploadedFile.objects.bulk_create(
    UploadedFile(owner=user, key=f"uploads/{user.pk}/{i}/f.txt", filename=f"f{i}.txt", content_type="text/plain",
                 size=100 + i, status="processed")
    for user in users for i in range(20)
)
print(json.dumps([
    {"email": user.email, "password": password, "access": str(AccessToken.for_user(user))} for user in users
]))
"""


@dataclass(frozen=True)
class Answer:
    """A response: status, lower-cased headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class StaleConnection(ConnectionError):
    """The server closed the connection before any byte of an answer arrived."""


@dataclass
class Tally:
    """Latency of every answered request and every failure, by endpoint."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    stale_retries: int = 0

    def answered(self, endpoint: str, answer: Answer, seconds: float) -> bool:
        """Record an answer; True when it is the one the endpoint gives on success."""
        self.latencies[endpoint].append(seconds)
        self.statuses[endpoint][answer.status] += 1
        return answer.status == EXPECTED_STATUS[endpoint]

    def failed(self, endpoint: str, error: BaseException) -> None:
        """Record a request that got no answer."""
        self.errors[endpoint][type(error).__name__] += 1


class Connection:
    """One persistent HTTP/1.1 connection, opened on first use and again after the server closes it."""

    def __init__(self, host: str, port: int, tally: Tally) -> None:
        self.host, self.port, self.tally = host, port, tally
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Answer:
        """Send one request, once more on a new connection if a reused one turns out closed."""
        reused = self.writer is not None
        try:
            return await self._exchange(method, target, headers, body)
        except StaleConnection:
            if not reused:
                raise
            self.tally.stale_retries += 1
            return await self._exchange(method, target, headers, body)

    async def _exchange(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        try:
            answer, reusable = await self._send(head.encode() + body)
        except BaseException:
            # Whatever was half sent or half read (a timeout included) leaves the connection unusable.
            await self.close()
            raise
        if not reusable:
            await self.close()
        return answer

    async def _send(self, request: bytes) -> tuple[Answer, bool]:
        assert self.reader is not None and self.writer is not None
        try:
            self.writer.write(request)
            await self.writer.drain()
            status_line = await self.reader.readline()
        except ConnectionError as error:
            raise StaleConnection(str(error)) from error
        if not status_line:
            raise StaleConnection("closed before the status line")
        return await read_answer(self.reader, int(status_line.split()[1]))

    async def close(self) -> None:
        """Close the socket; the next request opens a new one."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def read_answer(reader: asyncio.StreamReader, status: int) -> tuple[Answer, bool]:
    """Headers and body after the status line (by Content-Length, chunked, or up to the end of the stream), and
    whether the connection can carry another request."""
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    reusable = headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await read_chunked(reader)
    elif status in (204, 304) or status < 200:
        body = b""
    else:
        body, reusable = await reader.read(), False
    return Answer(status, headers, body), reusable


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body, trailers skipped."""
    chunks = []
    while size := int((await reader.readline()).split(b";")[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readline()
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    return b"".join(chunks)


def multipart(fields: dict[str, str], content: bytes) -> tuple[str, bytes]:
    """A multipart/form-data body: the presigned fields, then the file (S3 reads fields before the file)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="load.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


@dataclass
class Client:
    """One user on one connection, going through CYCLE until the deadline."""

    api: Connection
    tally: Tally
    user: dict[str, str]
    headers: dict[str, str]
    token: str = ""
    sent_since_sign_in: int = 0

    async def call(self, endpoint: str, method: str, path: str, payload: Any = None) -> Answer | None:
        """One API request, timed and tallied; None when it got no answer."""
        headers = dict(self.headers)
        body = b""
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        if self.token and endpoint != "token":
            headers["Authorization"] = f"Bearer {self.token}"
        self.sent_since_sign_in += 1
        return await timed(self.tally, endpoint, self.api.request(method, path, headers, body))

    async def sign_in(self) -> None:
        """POST /api/auth/token/ for a fresh access token."""
        self.token, self.sent_since_sign_in = "", 0
        credentials = {"email": self.user["email"], "password": self.user["password"]}
        answer = await self.call("token", "POST", "/api/auth/token/", credentials)
        if answer is not None and answer.status == 200:
            self.token = answer.json()["access"]

    async def upload(self) -> None:
        """Start an upload, POST its bytes to S3 with the presigned form, then complete it."""
        request = {"filename": "load.csv", "content_type": "text/csv", "size": len(UPLOAD_CONTENT)}
        ticket = await self.call("upload start", "POST", "/api/files/uploads/", request)
        if ticket is None or ticket.status != 201:
            return
        form = ticket.json()["upload"]
        stored = await timed(self.tally, "s3 post", post_form(form["url"], form["fields"], self.tally))
        if stored is not None and stored.status == 204:
            await self.call("complete", "POST", f"/api/files/{ticket.json()['file']['id']}/complete/")

    async def step(self, action: str) -> None:
        """The cycle's next action, signing in first when the token is missing or due."""
        if not self.token or self.sent_since_sign_in >= SIGN_IN_EVERY:
            await self.sign_in()
            return
        if action == "live":
            await self.call("live", "GET", LIVENESS_PATH)
        elif action == "list":
            await self.call("list", "GET", "/api/files/")
        else:
            await self.upload()


async def timed(tally: Tally, endpoint: str, request: Awaitable[Answer]) -> Answer | None:
    """Await a request within REQUEST_TIMEOUT_SECONDS, tallying its latency or its failure."""
    started = time.perf_counter()
    try:
        answer = await asyncio.wait_for(request, REQUEST_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
        tally.failed(endpoint, error)
        return None
    tally.answered(endpoint, answer, time.perf_counter() - started)
    return answer


async def post_form(url: str, fields: dict[str, str], tally: Tally) -> Answer:
    """The presigned POST, on a connection of its own (the emulator closes it after each answer)."""
    parts = urlsplit(url)
    content_type, body = multipart(fields, UPLOAD_CONTENT)
    connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80, tally)
    try:
        return await connection.request("POST", parts.path or "/", {"Content-Type": content_type}, body)
    finally:
        await connection.close()


async def run_client(client: Client, first_step: int, deadline: float) -> None:
    """Go through the cycle from `first_step` (clients start apart) until the deadline."""
    step = first_step
    try:
        while time.monotonic() < deadline:
            await client.step(CYCLE[step % len(CYCLE)])
            step += 1
    finally:
        await client.api.close()


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summary(tally: Tally, seconds: float) -> dict[str, Any]:
    """Figures per endpoint: requests/s, p50/p99 in ms, statuses; failures and retries."""
    endpoints = {}
    for endpoint, latencies in sorted(tally.latencies.items()):
        ordered = sorted(latencies)
        endpoints[endpoint] = {
            "requests": len(ordered),
            "per_second": len(ordered) / seconds,
            "p50_ms": percentile(ordered, 0.50) * 1000,
            "p99_ms": percentile(ordered, 0.99) * 1000,
            "max_ms": ordered[-1] * 1000,
            "statuses": {str(status): count for status, count in sorted(tally.statuses[endpoint].items())},
        }
    return {
        "seconds": seconds,
        "endpoints": endpoints,
        "server_errors": sum(n for counts in tally.statuses.values() for status, n in counts.items() if status >= 500),
        "unexpected_statuses": sum(
            n
            for endpoint, counts in tally.statuses.items()
            for status, n in counts.items()
            if status != EXPECTED_STATUS[endpoint] and status < 500
        ),
        "connection_errors": {endpoint: dict(counts) for endpoint, counts in tally.errors.items()},
        "stale_connection_retries": tally.stale_retries,
    }


async def drive(plan: dict[str, Any]) -> dict[str, Any]:
    """Run every client until the plan's duration has passed and all of them have their last answer."""
    base = urlsplit(plan["base_url"])
    tally = Tally()
    randomness = random.Random(plan.get("seed", 0))
    deadline = time.monotonic() + plan["duration"]
    clients = [
        Client(
            Connection(base.hostname or "127.0.0.1", base.port or 80, tally),
            tally,
            user,
            plan["headers"],
            token=user["access"],
            sent_since_sign_in=randomness.randrange(SIGN_IN_EVERY),
        )
        for user in (plan["users"][index % len(plan["users"])] for index in range(plan["connections"]))
    ]
    started = time.perf_counter()
    await asyncio.gather(*(run_client(client, randomness.randrange(len(CYCLE)), deadline) for client in clients))
    return summary(tally, time.perf_counter() - started)


def main() -> None:
    """Read the plan (JSON: base_url, users (email, password, access), connections, duration, headers) and print
    the figures."""
    print(json.dumps(asyncio.run(drive(json.load(sys.stdin)))))


if __name__ == "__main__":
    main()
