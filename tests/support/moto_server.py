"""moto's server in this process on a free port: the one launcher the S3 helpers and the AWS emulator share."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from moto.server import ThreadedMotoServer
from support.services import free_port


@dataclass(frozen=True)
class MotoServer:
    """Where a running moto server answers: from this machine, and from containers on it."""

    endpoint: str
    container_endpoint: str


def host_address() -> str:
    """This machine's first address, which containers reach it by.

    By address, not ``host.containers.internal``: moto would read that name's "host" as a virtual-hosted bucket.
    """
    return subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True).stdout.split()[0]


@contextmanager
def moto_server(*, reachable_from_containers: bool = False) -> Iterator[MotoServer]:
    """Serve every AWS API moto has on a free port for the block: loopback only unless containers must reach it."""
    # One log line per request drowns the test output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    address = "0.0.0.0" if reachable_from_containers else "127.0.0.1"
    server = ThreadedMotoServer(ip_address=address, port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    container_endpoint = f"http://{host_address()}:{port}" if reachable_from_containers else endpoint
    try:
        yield MotoServer(endpoint=endpoint, container_endpoint=container_endpoint)
    finally:
        server.stop()
