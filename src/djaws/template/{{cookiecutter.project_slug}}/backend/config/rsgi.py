"""The web process's application: Django's WSGI handler behind granian's native (RSGI) interface.

Each request body is read on the worker's event loop before Django sees the request, so a client
that sends its body slowly, or stops half-way, holds a coroutine and not one of Django's threads:
other requests keep being served. A body not complete within CLIENT_BODY_TIMEOUT_SECONDS is
answered 408, one larger than the settings allow is answered 413 without being read; both as
JSON, like every other error. Incomplete headers are granian's concern (config/server.py sets its
header read timeout). Django then runs in one of WEB_THREADS threads with the whole body in memory.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from granian.rsgi import HTTPProtocol, ProtocolClosed, Scope

from config.server import body_timeout_seconds, django_threads
from config.wsgi import application as wsgi_application

logger = logging.getLogger(__name__)

Headers = list[tuple[str, str]]

# Django's thread pool: created in each worker (threads start on first use, after the fork).
threads = ThreadPoolExecutor(max_workers=django_threads(), thread_name_prefix="django")
BODY_TIMEOUT_SECONDS = body_timeout_seconds()
# Headers whose repeated values join with "; " instead of ", " (RFC 6265).
JOINED_WITH_SEMICOLON = {"HTTP_COOKIE"}


class BodyTooLarge(Exception):
    """The client sends more than the body limit allows."""


def body_limit() -> int:
    """The largest body any route accepts: API bodies, or a whole file where uploads come to this process."""
    if settings.FILE_STORAGE == "local":
        return max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.FILE_UPLOAD_MAX_BYTES + 64 * 1024)
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def declared_length(scope: Scope) -> int | None:
    """Content-Length as sent (None when absent or unreadable: the body is then read up to the limit)."""
    value = scope.headers.get("content-length")
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def has_body(scope: Scope) -> bool:
    return declared_length(scope) != 0 and ("content-length" in scope.headers or "transfer-encoding" in scope.headers)


async def read_body(protocol: HTTPProtocol, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in protocol:
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def split_address(address: str) -> tuple[str, str]:
    """("host", "port") from granian's "host:port" (IPv6 hosts come bracketed)."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


def wsgi_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The PEP 3333 environ of a request whose body has been read."""
    server_name, server_port = split_address(scope.server)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # PEP 3333: the bytes, one character each (Django decodes them as UTF-8).
        "PATH_INFO": scope.path.encode().decode("latin-1"),
        "QUERY_STRING": scope.query_string.encode().decode("latin-1"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": split_address(scope.client)[0],
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            continue  # the body is complete: its real length is above
        if key != "CONTENT_TYPE":
            key = f"HTTP_{key}"
        if key in environ:
            value = environ[key] + ("; " if key in JOINED_WITH_SEMICOLON else ", ") + value
        environ[key] = value
    if "HTTP_HOST" not in environ and scope.authority:  # HTTP/2 sends :authority instead of Host
        environ["HTTP_HOST"] = scope.authority
    return environ


class Response:
    """What Django answers: status, headers, and the body (whole, or an iterator for a streaming response)."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.status = 500
        self.headers: Headers = []
        body = wsgi_application(environ, self.start)
        self.close_body = getattr(body, "close", None)
        # Django answers with the response object itself; only a streaming one is sent chunk by chunk.
        self.chunks: Iterator[bytes] | None = iter(body) if getattr(body, "streaming", False) else None
        self.content = b"" if self.chunks else b"".join(body)
        if self.chunks is None:
            self.close()

    def start(self, status: str, headers: Headers, exc_info: Any = None) -> None:
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers

    def close(self) -> None:
        """Django's request_finished (database connections are returned); runs in Django's thread."""
        if self.close_body is not None:
            self.close_body()


def json_error(protocol: HTTPProtocol, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    protocol.response_bytes(status, [("content-type", "application/json"), ("connection", "close")], body)


async def stream(protocol: HTTPProtocol, response: Response, chunks: Iterator[bytes]) -> None:
    """A streaming response (a file download): each chunk is produced in Django's thread."""
    loop = asyncio.get_running_loop()
    transport = protocol.response_stream(response.status, response.headers)
    try:
        while (chunk := await loop.run_in_executor(threads, next, chunks, None)) is not None:
            await transport.send_bytes(chunk)
    except ProtocolClosed:
        pass  # the client went away; nothing more to send
    finally:
        await loop.run_in_executor(threads, response.close)


async def receive(scope: Scope, protocol: HTTPProtocol) -> bytes | None:
    """The whole request body, or None after answering the client with a JSON error."""
    limit = body_limit()
    declared = declared_length(scope)
    if (declared or 0) > limit:
        json_error(protocol, 413, f"the request body is larger than {limit} bytes")
        return None
    if not has_body(scope):
        return b""
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            body = await read_body(protocol, limit)
    except TimeoutError:
        logger.info("request body incomplete after %s s: %s %s", BODY_TIMEOUT_SECONDS, scope.method, scope.path)
        json_error(protocol, 408, f"the request body did not arrive within {BODY_TIMEOUT_SECONDS} seconds")
        return None
    except BodyTooLarge:
        json_error(protocol, 413, f"the request body is larger than {limit} bytes")
        return None
    if declared is not None and len(body) != declared:  # the client went away part-way
        json_error(protocol, 400, "the request body ended before its Content-Length")
        return None
    return body


async def application(scope: Scope, protocol: HTTPProtocol) -> None:
    """Read the body here, run Django in a thread, send its response."""
    body = await receive(scope, protocol)
    if body is None:
        return
    loop = asyncio.get_running_loop()
    response = await loop.run_in_executor(threads, Response, wsgi_environ(scope, body))
    if response.chunks is None:
        protocol.response_bytes(response.status, response.headers, response.content)
    else:
        await stream(protocol, response, response.chunks)
