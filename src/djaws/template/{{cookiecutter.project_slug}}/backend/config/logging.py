"""JSON log lines with the id of the request that produced them."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from config import env

LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
FORMATS = ("text", "json")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")

# Attributes every LogRecord has; anything else was passed in ``extra`` and is worth keeping.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def level_from_environment() -> str:
    """LOG_LEVEL (default INFO), checked here: a typo would otherwise stop start-up with a traceback."""
    level = env.text("LOG_LEVEL", "INFO").upper()
    if level not in LEVELS:
        env.stop(f"LOG_LEVEL={level!r} is not one of {', '.join(LEVELS)}")
    return level


def format_from_environment() -> str:
    """LOG_FORMAT: text for people in local development, JSON lines for CloudWatch everywhere else.

    Django's settings, the web server, the worker and beat all ask here, so their lines match.
    """
    is_local = env.text("ENVIRONMENT", "local").lower() == "local"
    log_format = env.text("LOG_FORMAT", "text" if is_local else "json").lower()
    if log_format not in FORMATS:
        env.stop(f"LOG_FORMAT={log_format!r} is not one of {', '.join(FORMATS)}")
    return log_format


def celery_start_options() -> dict[str, object]:
    """How the worker and beat start: the log level, and Celery's banner only where logs are for people."""
    return {"loglevel": level_from_environment(), "quiet": format_from_environment() == "json"}


def configure_from_settings(**_: object) -> None:
    """Celery's setup_logging receiver: the worker and beat log through settings.LOGGING, as Django does.

    Left alone, Celery would install its own text format and CloudWatch would get lines it cannot query.
    """
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, as CloudWatch Logs Insights reads best."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
