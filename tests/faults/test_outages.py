"""Which errors count as "the database or Redis is away" (503) and which as bugs (500)."""

from __future__ import annotations

import errno
import sqlite3

import asyncpg
import redis.exceptions

from campaign.files import disk_full
from campaign.outages import service_unavailable


def wrapped(inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as error:
            raise RuntimeError("while answering") from error
    except RuntimeError as outer:
        return outer


def test_outages_are_told_apart_from_bugs():
    away = [
        sqlite3.OperationalError("database is locked"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        redis.exceptions.ConnectionError("Error 111 connecting"),
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
    ]
    bugs = [
        sqlite3.OperationalError("no such table: case"),
        asyncpg.exceptions.UndefinedColumnError("column x does not exist"),
        ValueError("bad"),
        KeyError("k"),
    ]
    assert all(service_unavailable(e) and service_unavailable(wrapped(e)) for e in away)
    assert not any(service_unavailable(e) or service_unavailable(wrapped(e)) for e in bugs)


def test_a_full_disk_is_recognised_wherever_it_is_wrapped():
    full = OSError(errno.ENOSPC, "No space left on device")
    assert disk_full(full) and disk_full(wrapped(full))
    assert disk_full(OSError(errno.EDQUOT, "quota")) and disk_full(OSError(errno.EFBIG, "big"))
    assert not disk_full(OSError(errno.EACCES, "denied")) and not disk_full(ValueError())
