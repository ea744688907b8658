"""Telling a passing outage from a bug: a database or Redis that does not answer (restarting,
refusing connections, gone) is answered 503 with Retry-After, not a traceback page, and counted
as such in the metrics and the access log."""

from __future__ import annotations

import sqlite3

import asyncpg
import redis.exceptions

#: What asyncpg, redis-py and the socket layer raise while the service is away.
_DOWN = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError,
    asyncpg.exceptions.TooManyConnectionsError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def service_unavailable(exc: BaseException) -> bool:
    """Is this error (or what it wraps) a database or Redis that does not answer? The next
    request reconnects by itself: asyncpg's pool and redis-py replace closed connections."""
    seen: BaseException | None = exc
    for _depth in range(5):
        if seen is None:
            return False
        if isinstance(seen, _DOWN) or (
            isinstance(seen, sqlite3.OperationalError) and "locked" in str(seen)
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
