"""Metrics in the Prometheus text format, a request id on every request, structured logs.

The registry is deliberately small. Any module adds a metric at import time and updates it:

    from campaign.observability import REGISTRY
    SENT = REGISTRY.counter("campaign_warnings_sent_total", "Warnings pushed", ("channel",))
    SENT.inc(channel="sms")
    CLIENTS = REGISTRY.gauge("campaign_sse_clients", "Open server-sent event streams", ("board",))
    CLIENTS.inc(board="warnings"); ...; CLIENTS.dec(board="warnings")

`GET /metrics` serves it (to loopback clients, or with `Authorization: Bearer $METRICS_TOKEN`).
Figures are per process: with `--workers N` scrape each process or use one worker per port.

Every request gets an id (a sane incoming `X-Request-ID`, else a new one), returned in the
`X-Request-ID` header and attached to each log record of the request; `LOG_FORMAT=json` makes
`campaign serve` / `campaign worker` log one JSON object per line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from campaign.outages import service_unavailable

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(names: tuple[str, ...], values: dict[str, str]) -> tuple[str, ...]:
    return tuple(str(values.get(name, "")) for name in names)


def _render_labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [
        f'{n}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34)).replace(chr(10), " ")}"'
        for n, v in zip(names, values, strict=True)
    ]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class Counter:
    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.labels = name, help_text, labels
        self.values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1, **labels: str) -> None:
        key = _labels(self.labels, labels)
        with self._lock:
            self.values[key] = self.values.get(key, 0) + amount

    def lines(self) -> Iterable[str]:
        for key, value in sorted(self.values.items()):
            yield f"{self.name}{_render_labels(self.labels, key)} {value:g}"


class Gauge(Counter):
    kind = "gauge"

    def __init__(self, name, help_text, labels=(), callback: Callable[[], float] | None = None):
        super().__init__(name, help_text, labels)
        self.callback = callback

    def dec(self, amount: float = 1, **labels: str) -> None:
        self.inc(-amount, **labels)

    def set(self, value: float, **labels: str) -> None:
        with self._lock:
            self.values[_labels(self.labels, labels)] = value

    def lines(self) -> Iterable[str]:
        if self.callback is not None:
            self.set(self.callback())
        yield from super().lines()


class Histogram:
    kind = "histogram"

    def __init__(self, name, help_text, labels=(), buckets=LATENCY_BUCKETS) -> None:
        self.name, self.help, self.labels, self.buckets = name, help_text, labels, buckets
        self.values: dict[tuple[str, ...], list[float]] = {}  # bucket counts…, sum, count
        self._lock = threading.Lock()

    def observe(self, value: float, **labels: str) -> None:
        key = _labels(self.labels, labels)
        with self._lock:
            row = self.values.setdefault(key, [0.0] * (len(self.buckets) + 2))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    row[i] += 1
            row[-2] += value
            row[-1] += 1

    def lines(self) -> Iterable[str]:
        for key, row in sorted(self.values.items()):
            for bound, count in zip(self.buckets, row, strict=False):
                extra = f'le="{bound:g}"'
                yield f"{self.name}_bucket{_render_labels(self.labels, key, extra)} {count:g}"
            inf = _render_labels(self.labels, key, 'le="+Inf"')
            yield f"{self.name}_bucket{inf} {row[-1]:g}"
            yield f"{self.name}_sum{_render_labels(self.labels, key)} {row[-2]:.6f}"
            yield f"{self.name}_count{_render_labels(self.labels, key)} {row[-1]:g}"


class Registry:
    def __init__(self) -> None:
        self.metrics: dict[str, Any] = {}

    def _add(self, metric):
        return self.metrics.setdefault(metric.name, metric)

    def counter(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> Counter:
        return self._add(Counter(name, help_text, labels))

    def gauge(self, name, help_text, labels=(), callback=None) -> Gauge:
        return self._add(Gauge(name, help_text, labels, callback))

    def histogram(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> Histogram:
        return self._add(Histogram(name, help_text, labels))

    def render(self) -> str:
        out = []
        for metric in self.metrics.values():
            out.append(f"# HELP {metric.name} {metric.help}")
            out.append(f"# TYPE {metric.name} {metric.kind}")
            out.extend(metric.lines())
        return "\n".join(out) + "\n"


REGISTRY = Registry()
REQUESTS = REGISTRY.counter(
    "campaign_http_requests_total", "HTTP requests answered", ("method", "route", "status")
)
LATENCY = REGISTRY.histogram(
    "campaign_http_request_seconds", "Time to answer, by route template", ("method", "route")
)
JOB_FAILURES = REGISTRY.counter(
    "campaign_job_failures_total", "Background jobs that raised", ("job",)
)
QUEUE_DEPTH = REGISTRY.gauge("campaign_job_queue_depth", "Jobs queued or running")
SSE_CLIENTS = REGISTRY.gauge("campaign_sse_clients", "Open server-sent event streams")

log = logging.getLogger("campaign.requests")


class RequestMiddleware:
    """Request id, one log line and the request metrics for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), ""
        )
        rid = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = [500]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except Exception as exc:  # answered by the app's error handler, outside this middleware
            status[0] = 503 if service_unavailable(exc) else getattr(exc, "status_code", 500)
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            REQUESTS.inc(method=method, route=route, status=str(status[0]))
            LATENCY.observe(elapsed, method=method, route=route)
            log.info(
                "%s %s %s %.1fms",
                method,
                scope.get("path"),
                status[0],
                elapsed * 1000,
                extra={"status": status[0], "duration_ms": round(elapsed * 1000, 1)},
            )
            request_id.reset(token)


def route_template(scope: Scope) -> str:
    """The path with its parameters named (/cases/{case_id}), so labels stay few."""
    if scope.get("route_handler") is None:
        return "unmatched"
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    if scope["path"].startswith("/static/"):
        return "/static/{file_path}"
    return "/".join(
        "{" + params[part] + "}" if part in params else part for part in scope["path"].split("/")
    )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any extras."""

    RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(json_format: bool) -> None:
    """For `campaign serve` and `campaign worker`: request ids on every line, JSON if asked."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter()
        if json_format
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
