"""Structured logs (structlog): console in test, JSON in prod, every line carrying the request's trace id."""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, cast

import orjson
import structlog
from structlog.typing import FilteringBoundLogger

from portvakt.web.trace import trace_id_var


def _add_trace_id(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    trace_id = trace_id_var.get()
    if trace_id is not None:
        event_dict.setdefault("trace_id", trace_id)
    return event_dict


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of the record (CLI runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _CurrentStderr:
    """A file-like object that writes to whatever sys.stderr is at the time of the line."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _logger_key(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    name = event_dict.pop("logger_name", None)
    if name is not None:
        event_dict["logger"] = name
    return event_dict


def _orjson_dumps(value: Any, **_kwargs: Any) -> str:
    return orjson.dumps(value, default=str).decode("utf-8")


def configure_logging(fmt: Literal["console", "json"], level: str = "INFO") -> None:
    """Configure structlog (rendering straight to stderr, no stdlib round trip on the request path) and
    route the standard library's records (uvicorn, alembic) through the same renderer."""
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_trace_id,
        _logger_key,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if fmt == "json":
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer(serializer=_orjson_dumps)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        # Not cached: a logger assembled per call (≈ 2 µs) follows every later configuration (level,
        # format), also for the module-level loggers created at import time.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log repeats what the request middleware logs, with the query string; httpx logs
    # every outgoing request URL at INFO (it may carry codes or tokens in the query).
    for noisy in ("uvicorn.access", "httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> FilteringBoundLogger:
    """A structlog logger whose lines carry `logger=<name>`."""
    # `logger` itself is a parameter name of structlog.get_logger; the key is renamed when rendered.
    return cast(FilteringBoundLogger, structlog.get_logger(logger_name=name))  # lazy until first use
