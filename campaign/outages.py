"""Telling a passing outage from a bug: a database or Redis that does not answer (restarting,
refusing connections, gone) is answered 503 with Retry-After, not a traceback page, and counted
as such in the metrics and the access log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import asyncpg
import redis.exceptions

#: What asyncpg, redis-py and the socket layer raise while the service is away.
_DOWN = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError,
    asyncpg.exceptions.TooManyConnectionsError,
    # a query started on a pooled connection whose backend was just terminated: the protocol is
    # still handling the termination notice ("cannot switch to state …; another operation …")
    asyncpg.exceptions.InternalClientError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The error and what it wraps (raise ... from, or raised while handling), innermost last."""
    for _depth in range(5):
        if exc is None:
            return
        yield exc
        exc = exc.__cause__ or exc.__context__


def service_unavailable(exc: BaseException) -> bool:
    """Is this error (or what it wraps) a database or Redis that does not answer? The next
    request reconnects by itself: asyncpg's pool and redis-py replace closed connections."""
    return any(
        isinstance(e, _DOWN) or (isinstance(e, sqlite3.OperationalError) and "locked" in str(e))
        for e in causes(exc)
    )
