"""scripts/demo.sh for real, as a newcomer runs it: generate, install, build, serve, stop.

The default serves the built frontend and the backend together on the printed URL; the checks go through
that URL only: the landing page, health, sign-up and sign-in, an upload whose ``file.processed`` event
arrives on the websocket (one uvicorn, no Redis: the embedded default), the API docs and an admin login
(the admin's form is posted across the frontend's proxy). Then: if either server dies the other is
stopped; a second run reuses the install and build; a changed frontend is rebuilt; stopping the script
stops its servers. ``--api-only`` serves the API docs on the port. Nothing may be left listening.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import websockets
from support.processes import background
from support.services import free_port, wait_for_port, wait_for_port_closed

REPOSITORY = Path(__file__).resolve().parents[2]
DEMO = REPOSITORY / "scripts" / "demo.sh"
# A first run installs and builds the frontend; later ones reuse it.
READY_TIMEOUT_SECONDS = 900
STOP_TIMEOUT_SECONDS = 30
READY_MARKER = "Press Ctrl+C to stop."
PASSWORD = "correct-horse-battery-staple"
CONTENT = b"id,name\n1,Ada\n2,Grace\n"


@dataclass(frozen=True)
class Demo:
    """A running scripts/demo.sh and what it printed once ready."""

    process: subprocess.Popen[bytes]
    output: str

    @property
    def url(self) -> str:
        """The one URL the script tells the user to open."""
        found = re.search(r"^Open (http://127\.0\.0\.1:\d+/) ", self.output, re.MULTILINE)
        assert found, self.output
        return found.group(1)

    def pid(self, server: str) -> int:
        """The pid the script printed for its frontend or backend server."""
        found = re.search(rf"^  {server}: .*\bpid (\d+),", self.output, re.MULTILINE)
        assert found, self.output
        return int(found.group(1))

    def admin_password(self) -> str:
        found = re.search(r"\(demo@example\.com / (\S+)\)", self.output)
        assert found, self.output
        return found.group(1)


def free_port_pair() -> int:
    """A port P with P+1 free too (the demo's backend takes PORT+1)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    pytest.fail("no two adjacent free loopback ports")


def output_of(log: Path) -> str:
    return log.read_text(errors="replace")


@contextmanager
def running_demo(arguments: list[str], demo_dir: Path, log: Path) -> Iterator[Demo]:
    """Start ``bash scripts/demo.sh ARGUMENTS`` in its own process group; yield once it printed its URLs."""
    environment = {**os.environ, "DJAWS_DEMO_DIR": str(demo_dir)}
    environment.pop("DJAWS_DEMO_BACKEND_PORT", None)
    with background(["bash", str(DEMO), *arguments], REPOSITORY, environment, log) as process:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while READY_MARKER not in output_of(log):
            if process.poll() is not None:
                pytest.fail(f"demo.sh exited with {process.returncode}:\n{output_of(log)[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"demo.sh printed no URL within {READY_TIMEOUT_SECONDS} s:\n{output_of(log)[-4000:]}")
            time.sleep(0.5)
        yield Demo(process=process, output=output_of(log))


def assert_stopped(demo: Demo, ports: list[int], pids: list[int]) -> None:
    """The script has exited, nothing listens on its ports and its servers are gone (not even orphaned)."""
    demo.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    for port in ports:
        wait_for_port_closed(port, timeout=STOP_TIMEOUT_SECONDS)
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        alive = status.exists() and "\nState:\tZ" not in status.read_text()
        assert not alive, f"process {pid} outlived demo.sh"


async def first_event(url: str, origin: str, trigger: object) -> dict:
    """Open the websocket, run the trigger (in a thread), and return the first event received."""
    async with websockets.connect(url, origin=origin) as socket_:
        await asyncio.to_thread(trigger)  # type: ignore[arg-type]
        return json.loads(await asyncio.wait_for(socket_.recv(), timeout=30))


def check_the_product(demo: Demo, project: Path) -> None:
    """Everything a newcomer does, through the one URL."""
    base = demo.url.rstrip("/")
    config = json.loads((project / "frontend" / "project.config.json").read_text(encoding="utf-8"))

    landing = requests.get(demo.url, timeout=30)
    assert landing.status_code == 200
    assert landing.headers["content-type"].startswith("text/html")
    assert f"<title>{config['appName']}</title>" in landing.text
    assert config["description"] in landing.text
    assert requests.get(f"{base}/api/health/", timeout=10).status_code == 200

    credentials = {"email": f"demo-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
    assert requests.post(f"{base}/api/auth/register/", json=credentials, timeout=10).status_code == 201
    tokens = requests.post(f"{base}/api/auth/token/", json=credentials, timeout=10).json()
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    me = requests.get(f"{base}/api/auth/me/", headers=headers, timeout=10)
    assert me.status_code == 200 and me.json()["email"] == credentials["email"]

    ticket = requests.post(
        f"{base}/api/files/uploads/",
        headers=headers,
        json={"filename": "people.csv", "content_type": "text/csv", "size": len(CONTENT)},
        timeout=10,
    ).json()
    form = ticket["upload"]
    assert form["url"].startswith("/"), "the embedded default's upload form posts to the same origin"
    stored = requests.post(base + form["url"], data=form["fields"], files={"file": ("people.csv", CONTENT)}, timeout=10)
    assert stored.status_code == 204, stored.text
    file_id = ticket["file"]["id"]

    def complete() -> None:
        response = requests.post(f"{base}/api/files/{file_id}/complete/", headers=headers, timeout=10)
        assert response.status_code == 200, response.text

    socket_url = base.replace("http://", "ws://") + f"/ws/notifications/?token={tokens['access']}"
    # A thread of its own: under xdist this worker may also host the browser tests, whose event loop is running.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        event = thread.submit(asyncio.run, first_event(socket_url, base, complete)).result()
    assert event["type"] == "file.processed"
    assert event["file"]["id"] == file_id
    assert event["file"]["checksum_sha256"] == hashlib.sha256(CONTENT).hexdigest()

    # The URLs printed beside the product's work through it too.
    assert requests.get(f"{base}/api/docs/", timeout=10).status_code == 200
    admin = requests.Session()
    login = admin.get(f"{base}/api/admin/login/", timeout=10)
    assert login.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert token, login.text
    signed_in = admin.post(
        f"{base}/api/admin/login/?next=/api/admin/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": "demo@example.com",
            "password": demo.admin_password(),
        },
        headers={"Origin": base, "Referer": f"{base}/api/admin/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/api/admin/", signed_in.text[:2000]
    index = admin.get(f"{base}/api/admin/", timeout=10)
    assert index.status_code == 200 and "Log out" in index.text


@pytest.mark.slow
def test_demo_serves_the_product_on_one_url_then_reuses_its_build(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    project = demo_dir / "demo_shop"
    port = free_port_pair()
    ports = [port, port + 1]

    # First run: everything is installed and built; then the frontend dies and takes the backend with it.
    log = tmp_path / "first.log"
    with running_demo([str(port)], demo_dir, log) as demo:
        assert demo.url == f"http://127.0.0.1:{port}/"
        assert re.search(r"npm install: \d+\.\d s", demo.output), demo.output
        assert re.search(r"next build: +\d+\.\d s", demo.output), demo.output
        check_the_product(demo, project)
        os.kill(demo.pid("frontend"), signal.SIGTERM)
        assert_stopped(demo, ports, [demo.pid("frontend"), demo.pid("backend")])
        assert demo.process.returncode == 1
        assert "the frontend exited" in output_of(log)

    # Second run, nothing changed: no install, no build. Stopping the script alone stops its servers.
    log = tmp_path / "second.log"
    with running_demo([str(port)], demo_dir, log) as demo:
        assert "npm install: skipped" in demo.output
        assert "next build:  skipped" in demo.output
        landing = requests.get(demo.url, timeout=30)
        assert landing.status_code == 200 and "<title>" in landing.text
        demo.process.send_signal(signal.SIGTERM)
        assert_stopped(demo, ports, [demo.pid("frontend"), demo.pid("backend")])

    # A frontend source changed (a file djaws does not write, so the re-render keeps it): rebuilt, served.
    marker = f"demo-{uuid.uuid4().hex}"
    (project / "frontend" / "public" / "demo-marker.txt").write_text(marker, encoding="utf-8")
    log = tmp_path / "third.log"
    with running_demo([str(port)], demo_dir, log) as demo:
        assert "npm install: skipped" in demo.output
        assert re.search(r"next build: +\d+\.\d s", demo.output), demo.output
        served = requests.get(f"{demo.url}demo-marker.txt", timeout=10)
        assert served.status_code == 200 and served.text == marker
        os.killpg(demo.process.pid, signal.SIGINT)  # Ctrl+C in the terminal
        assert_stopped(demo, ports, [demo.pid("frontend"), demo.pid("backend")])
        assert demo.process.returncode == 130
        assert "exited" not in output_of(log), "Ctrl+C is not reported as a server failure"

    # --api-only: the backend alone on the port, API docs included; Ctrl+C stops it.
    log = tmp_path / "api-only.log"
    with running_demo(["--api-only", str(port)], demo_dir, log) as demo:
        assert f"API docs: http://127.0.0.1:{port}/api/docs/" in demo.output
        assert "Open http" not in demo.output
        wait_for_port(port)  # it prints the URLs, then becomes uvicorn
        assert requests.get(f"http://127.0.0.1:{port}/api/docs/", timeout=10).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/api/health/", timeout=10).status_code == 200
        os.killpg(demo.process.pid, signal.SIGINT)
        assert_stopped(demo, [port], [])


def run_demo(arguments: list[str], path: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJAWS_DEMO_DIR": "/nonexistent/demo"}
    if path is not None:
        environment["PATH"] = path
    return subprocess.run(
        ["/bin/bash", str(DEMO), *arguments],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--bogus"], "demo.sh: unknown option --bogus"),
        (["80000"], "demo.sh: PORT must be a number from 1 to 65535, not '80000'"),
        (["eighty"], "demo.sh: PORT must be a number from 1 to 65535, not 'eighty'"),
    ],
)
def test_bad_arguments_get_one_line_and_status_2(arguments: list[str], message: str) -> None:
    result = run_demo(arguments)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message)
    assert result.stdout == ""


def test_a_taken_port_is_refused_before_anything_is_generated() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = run_demo([str(port)])
    assert result.returncode == 2
    assert result.stderr.strip() == f"demo.sh: port {port} is in use; pass another: scripts/demo.sh [--api-only] PORT"


def test_without_node_the_demo_says_how_to_get_it_or_run_api_only(tmp_path: Path) -> None:
    """A machine without Node.js gets the fix in one line, before anything is installed."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("dirname", "sed", "sort", "head"):
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    result = run_demo([str(free_port())], path=str(tools))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "needs Node.js 20.9.0 or newer with npm (found: none)" in line
    assert "https://nodejs.org/en/download" in line and "bash scripts/demo.sh --api-only" in line
