"""The websocket server: ``python -m config.websocket``.

uvicorn serving the ASGI application (config.asgi: Channels for /ws/, Django for the rest) on
WEB_HOST and WEBSOCKET_PORT (8001), without access logs (the consumers log what matters), in
WEBSOCKET_CONCURRENCY processes (default one: sockets mostly wait, and each process holds its own
copy of Django). Its own variable: uvicorn alone would take WEB_CONCURRENCY, the web server's.
"""

from __future__ import annotations

import uvicorn

from config import env


def main() -> int:
    env.load_dotenv()
    uvicorn.run(
        "config.asgi:application",
        # In a container the port is reachable only as published; WEB_HOST narrows it elsewhere.
        host=env.text("WEB_HOST", "0.0.0.0"),  # noqa: S104
        port=env.integer("WEBSOCKET_PORT", 8001),
        workers=env.integer("WEBSOCKET_CONCURRENCY", 1),
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
