"""A TCP proxy on loopback that a test can cut or slow down: the network faults a client meets (a server
that cannot be reached, a slow link) without touching the server behind it, or its state."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from support.services import wait_for_port, wait_for_port_closed

CHUNK_BYTES = 16 * 1024
THROTTLED_CHUNK_BYTES = 4 * 1024
ACCEPT_POLL_SECONDS = 0.1
REMEMBERED_REQUESTS = 1000


class TcpProxy:
    """Forwards every connection to its port to ``target_port``.

    The port is the one the first ``restore()`` binds and keeps: a client may be told it before the server behind
    it exists (set ``target_port`` then; until then connections are refused). ``cut()`` closes the port and every
    connection through it (clients are refused, as by a server that is down), ``restore()`` opens it again;
    ``throttle(bytes_per_second)`` slows what the server sends.
    """

    def __init__(self, target_port: int | None = None) -> None:
        self.target_port = target_port
        # 0 until the first restore() binds a port the system picks; the same one on every later restore().
        self.port = 0
        self.bytes_per_second: float | None = None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._requests: list[bytes] = []
        self._listener: socket.socket | None = None

    def restore(self) -> None:
        """Accept connections on the port (again)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        listener.listen(64)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        wait_for_port(self.port)

    def cut(self) -> None:
        """Close the port and drop every open connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            _close(connection)
        wait_for_port_closed(self.port)

    def throttle(self, bytes_per_second: float | None) -> None:
        """Limit what the server sends to each client to this rate (None: no limit)."""
        self.bytes_per_second = bytes_per_second

    def saw_request(self, prefix: bytes) -> bool:
        """Whether a client sent data starting with ``prefix`` (an HTTP request line, say)."""
        with self._lock:
            return any(request.startswith(prefix) for request in self._requests)

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                if self.target_port is None:
                    raise ConnectionRefusedError("no server behind the proxy yet")
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._connections.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_server: bool) -> None:
        """Copy one direction of a connection until either side closes it."""
        try:
            while chunk := source.recv(CHUNK_BYTES):
                if from_server:
                    self._send_throttled(target, chunk)
                else:
                    self._remember(chunk)
                    target.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)

    def _send_throttled(self, target: socket.socket, chunk: bytes) -> None:
        for start in range(0, len(chunk), THROTTLED_CHUNK_BYTES):
            piece = chunk[start : start + THROTTLED_CHUNK_BYTES]
            target.sendall(piece)
            if self.bytes_per_second:
                time.sleep(len(piece) / self.bytes_per_second)

    def _remember(self, chunk: bytes) -> None:
        with self._lock:
            self._requests = [*self._requests[-REMEMBERED_REQUESTS:], chunk[:256]]


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


@contextmanager
def tcp_proxy(target_port: int | None = None) -> Iterator[TcpProxy]:
    """A TcpProxy accepting connections, cut at the end."""
    proxy = TcpProxy(target_port)
    proxy.restore()
    try:
        yield proxy
    finally:
        proxy.cut()
