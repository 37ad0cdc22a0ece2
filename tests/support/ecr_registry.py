"""ECR's image registry as an image push meets it: a real registry behind ECR's IAM checks.

A workflow pushes images with the Docker client (``docker/build-push-action``) after
``aws-actions/amazon-ecr-login`` fetched a token (``ecr:GetAuthorizationToken``, an API call the
emulator judges). The registry requests that follow are not AWS API calls, and moto does not serve
them, so here the reference registry (Debian's ``docker-registry``, the CNCF distribution server)
stores the images and a front in this process stands where ECR's endpoint is: it turns each registry
request into the IAM action ECR authorises it as, decides it with the evaluator written from the IAM
documentation (``support/iam_policy.py``) against the pushing role's policies on the repository's ARN,
and refuses with ECR's ``DENIED`` error or passes the request on.

The action per request is the one the ECR API reference names for that step of a push or pull
("Amazon ECR ... API operations used by the Docker client": BatchCheckLayerAvailability,
InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload, PutImage, BatchGetImage,
GetDownloadUrlForLayer, BatchDeleteImage, ListImages) and the "Required IAM permissions for pushing an
image" page of the ECR User Guide. Requests the front has no action for are refused and recorded as
unmodelled, so a client that starts making a new kind of request fails the test instead of passing
unjudged.
"""

from __future__ import annotations

import base64
import http.client
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from support.iam_enforcement import Principal
from support.iam_policy import AuthorizationRequest, Decision, evaluate
from support.services import free_port, wait_for_port

ACCOUNT_ID = "123456789012"
NAME = r"(?P<name>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
# (method, path pattern) -> the IAM action ECR authorises the request as.
REGISTRY_ACTIONS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), action)
    for method, pattern, action in (
        ("HEAD", rf"^/v2/{NAME}/blobs/sha256:[0-9a-f]{{64}}$", "ecr:BatchCheckLayerAvailability"),
        ("GET", rf"^/v2/{NAME}/blobs/sha256:[0-9a-f]{{64}}$", "ecr:GetDownloadUrlForLayer"),
        ("POST", rf"^/v2/{NAME}/blobs/uploads/$", "ecr:InitiateLayerUpload"),
        ("PATCH", rf"^/v2/{NAME}/blobs/uploads/[^/]+$", "ecr:UploadLayerPart"),
        ("PUT", rf"^/v2/{NAME}/blobs/uploads/[^/]+$", "ecr:CompleteLayerUpload"),
        ("PUT", rf"^/v2/{NAME}/manifests/[^/]+$", "ecr:PutImage"),
        ("GET", rf"^/v2/{NAME}/manifests/[^/]+$", "ecr:BatchGetImage"),
        ("HEAD", rf"^/v2/{NAME}/manifests/[^/]+$", "ecr:BatchGetImage"),
        ("DELETE", rf"^/v2/{NAME}/manifests/[^/]+$", "ecr:BatchDeleteImage"),
        ("GET", rf"^/v2/{NAME}/tags/list$", "ecr:ListImages"),
    )
)
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


@dataclass(frozen=True)
class RegistryRequest:
    """One request the front received and how it was decided (``decision`` None: no action modelled)."""

    method: str
    path: str
    decision: Decision | None

    @property
    def allowed(self) -> bool:
        return self.decision is not None and self.decision.allowed

    def __str__(self) -> str:
        if self.decision is None:
            return f"{self.method} {self.path}: UNMODELLED"
        request = self.decision.request
        return f"{self.method} {self.path}: {request.action} on {request.resource} -> {self.decision.effect.value}"


@dataclass
class EcrRegistry:
    """The registry front on ``port``: whom it admits (tokens), what it enforces, what it saw."""

    region: str
    port: int = 0
    tokens: dict[str, Principal] = field(default_factory=dict)
    requests: list[RegistryRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        """The registry's host:port, as an ECR registry URL's host."""
        return f"127.0.0.1:{self.port}"

    def admit(self, authorization_token: str, principal: Principal) -> None:
        """Accept the token ``ecr:GetAuthorizationToken`` returned (base64 of ``AWS:password``) for the principal."""
        self.tokens[base64.b64decode(authorization_token).decode()] = principal

    def repository_arn(self, name: str) -> str:
        return f"arn:aws:ecr:{self.region}:{ACCOUNT_ID}:repository/{name}"

    def decide(self, method: str, path: str, principal: Principal) -> RegistryRequest:
        for candidate, pattern, action in REGISTRY_ACTIONS:
            match = pattern.match(path)
            if candidate == method and match:
                request = AuthorizationRequest(action, self.repository_arn(match["name"]))
                decision = evaluate(request, principal.policies, principal_arn=principal.arn)
                return RegistryRequest(method, path, decision)
        return RegistryRequest(method, path, None)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, plain or chunked (a push client streams layers either way)."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _handler(registry: EcrRegistry, backend_port: int) -> type[BaseHTTPRequestHandler]:
    class Front(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _principal(self) -> Principal | None:
            authorization = self.headers.get("Authorization", "")
            if not authorization.startswith("Basic "):
                return None
            return registry.tokens.get(base64.b64decode(authorization[6:]).decode(errors="replace"))

        def _handle(self) -> None:
            body = _read_body(self)
            path = urlsplit(self.path).path
            principal = self._principal()
            if principal is None:
                # ECR asks for the token as Basic credentials (user AWS).
                challenge = {"WWW-Authenticate": f'Basic realm="https://{registry.host}/",service="ecr.amazonaws.com"'}
                errors = b'{"errors":[{"code":"UNAUTHORIZED","message":"Not Authorized"}]}'
                self._reply(401, errors, {"Content-Type": "application/json", **challenge})
                return
            if path != "/v2/":
                decided = registry.decide(self.command, path, principal)
                with registry.lock:
                    registry.requests.append(decided)
                if not decided.allowed:
                    message = f"{principal.arn} is not authorized: {decided}".replace('"', "'")
                    self._reply(403, f'{{"errors":[{{"code":"DENIED","message":"{message}"}}]}}'.encode(), {})
                    return
            self._forward(body)

        def _forward(self, body: bytes) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", backend_port, timeout=60)
            headers = {
                name: value
                for name, value in self.headers.items()
                if name.lower() not in HOP_HEADERS and name.lower() not in ("authorization", "content-length")
            }
            headers["Content-Length"] = str(len(body))
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                passed = {k: v for k, v in response.getheaders() if k.lower() not in HOP_HEADERS | {"content-length"}}
                self.send_response(response.status)
                for name, value in passed.items():
                    self.send_header(name, value)
                # A HEAD's Content-Length is the blob's or manifest's size: pass it on as the registry said it.
                length = response.getheader("Content-Length") if self.command == "HEAD" else str(len(answer))
                self.send_header("Content-Length", length or "0")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer)
            finally:
                connection.close()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Front


REGISTRY_CONFIG = """version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


@contextmanager
def ecr_registry(region: str, directory: Path) -> Iterator[EcrRegistry]:
    """The reference registry on a loopback port, behind an ECR front on another."""
    executable = shutil.which("docker-registry")
    if executable is None:
        raise RuntimeError("docker-registry is not installed: apt-get install docker-registry (scripts/ does)")
    backend_port = free_port()
    config = directory / "registry.yml"
    config.write_text(REGISTRY_CONFIG.format(root=directory / "storage", port=backend_port))
    log = (directory / "registry.log").open("wb")
    process = subprocess.Popen([executable, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    registry = EcrRegistry(region)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(registry, backend_port))
    registry.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        wait_for_port(backend_port)
        thread.start()
        yield registry
    finally:
        server.shutdown()
        server.server_close()
        process.terminate()
        process.wait(timeout=10)
        log.close()
