"""The app's routes, enumerated from Litestar's route table (for the table-driven tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar import Litestar
from litestar.response import ServerSentEvent

_PARAM = re.compile(r"\{(\w+):(\w+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as declared, e.g. /cases/{case_id:int}
    opt: dict
    streams: bool = False  # a server-sent event stream: never ends, so sweeps skip it

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, value: str | None = None) -> str:
        """A concrete URL: int parameters get `value` or 1, str parameters `value` or "x"."""

        def fill(match: re.Match) -> str:
            if value is not None:
                return value
            return "1" if match.group(2) == "int" else "x"

        return _PARAM.sub(fill, self.path)


def app_routes(app: Litestar) -> list[Route]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(getattr(handler, "http_methods", ()) or ())
            for method in methods:
                if method in ("HEAD", "OPTIONS"):
                    continue
                returns = handler.parsed_fn_signature.return_type.annotation
                streams = returns is ServerSentEvent or "ServerSentEvent" in str(returns)
                found.append(Route(method, route.path, dict(handler.opt), streams))
    return _unique(found)


def _unique(routes: list[Route]) -> list[Route]:
    seen: dict[str, Route] = {}
    for route in routes:
        seen.setdefault(route.key, route)
    return sorted(seen.values(), key=lambda r: r.key)
