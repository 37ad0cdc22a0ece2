"""The websocket server: ``python -m config.websocket``.

uvicorn serving the ASGI application (config.asgi: Channels for /ws/, Django for the rest) on
WEB_HOST and WEBSOCKET_PORT (8001), without access logs (the consumers log what matters). Like
uvicorn's command line, it runs WEB_CONCURRENCY worker processes when that is set.
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
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
