"""Slow and stalled clients against the production server (config/server.py, config/rsgi.py).

One worker with one Django thread, the smallest production shape: if a stalled client could hold
Django's thread, every other request here would wait.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.test_server import free_port, server

TIMEOUT_SECONDS = 2
# Other requests are answered within this while the stalled connections are open (in practice: milliseconds).
ANSWER_BOUND_SECONDS = 5
TOKEN_REQUEST = b"POST /api/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    port = free_port()
    process = server(
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(port),
        WEB_CONCURRENCY="1",
        WEB_THREADS="1",
        CLIENT_HEADER_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
        CLIENT_BODY_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
    )
    try:
        wait_until_serving(process, port)
        yield port
    finally:
        process.terminate()
        process.communicate(timeout=30)


def wait_until_serving(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=2).close()
            return
        except OSError:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.2)


def exchange(port: int, request: bytes, timeout: float = 10) -> tuple[int, dict]:
    """Send raw bytes; return the status and JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            lengths = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
            if lengths and len(body) >= int(lengths[0].split(b":")[1]):
                break
    return int(head.split(b" ")[1]), json.loads(body)


def stalled(port: int, request: bytes) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(request)
    return connection


def test_stalled_headers_and_bodies_do_not_hold_other_requests(port: int) -> None:
    with ExitStack() as stack:
        for _ in range(20):
            stack.enter_context(stalled(port, TOKEN_REQUEST + b"Content-Length: 1000\r\n\r\n" + b'{"email": '))
            stack.enter_context(stalled(port, b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "))
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=ANSWER_BOUND_SECONDS) as answer:
                assert answer.status == 200
            assert time.monotonic() - started < ANSWER_BOUND_SECONDS


def test_a_body_that_stops_part_way_gets_a_408_in_json(port: int) -> None:
    started = time.monotonic()
    status, body = exchange(port, TOKEN_REQUEST + b"Content-Length: 100\r\n\r\n" + b'{"email": ')
    assert status == 408
    assert "did not arrive" in body["detail"]
    assert time.monotonic() - started >= TIMEOUT_SECONDS


def test_an_oversized_body_gets_a_413_in_json_before_it_is_sent(port: int) -> None:
    status, body = exchange(port, TOKEN_REQUEST + b"Content-Length: 999999999\r\n\r\n")
    assert status == 413
    assert "larger than" in body["detail"]


@pytest.mark.parametrize("length", [b"\xb2", b"+2", b"-1", b"2, 3"])
def test_an_unreadable_content_length_is_refused_not_an_error(port: int, length: bytes) -> None:
    # "\xb2" is superscript two in latin-1: a digit to str.isdigit(), not to int().
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(TOKEN_REQUEST + b"Content-Length: " + length + b"\r\n\r\n{}")
        status_line = connection.recv(65536).split(b"\r\n", 1)[0]
    assert 400 <= int(status_line.split(b" ")[1]) < 500, status_line


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_bodies_reach_django_whole(port: int, framing: str) -> None:
    payload = json.dumps({"email": "someone@example.com"}).encode()
    if framing == "chunked":
        chunks = [payload[start : start + 7] for start in range(0, len(payload), 7)] + [b""]
        framed = b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    else:
        framed = b"Content-Length: %d\r\n\r\n" % len(payload) + payload
    status, body = exchange(port, TOKEN_REQUEST + framed)
    # The serializer saw the e-mail and asks only for the password: the body arrived whole.
    assert status == 400
    assert set(body) == {"password"}
