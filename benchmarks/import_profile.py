"""Where a case import's time goes: `campaign import cases FILE` run in this process with a timer
around every database call (aiosqlite's hop to its thread, asyncpg's execute / fetch / COPY) and
around the parent's share of the check (waiting for and receiving each checked chunk, building
the rows to write). Statements over 50 ms are printed as they end; a summary by statement follows.

    # on a copy of the database `cases_import.py prepare` built (the import changes it)
    CAMPAIGN_VAR=… [DATABASE_URL=…] python benchmarks/import_profile.py FILE

The timers cost a few microseconds a call: a run is ~1 s slower than `cases_import.py run`.
"""

from __future__ import annotations

import atexit
import collections
import sys
import time
from collections.abc import Callable
from typing import Any

import aiosqlite

SHOWN_ABOVE_S = 0.05
seconds: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()


def _note(key: str, began: float, text: str = "") -> None:
    spent = time.perf_counter() - began
    seconds[key] += spent
    calls[key] += 1
    if spent > SHOWN_ABOVE_S:
        print(f"  [{spent:6.2f} s] {text or key}", file=sys.stderr)


def _sql(value: Any) -> str:
    return " ".join(str(value).split())


def _time_sqlite() -> None:
    hop = aiosqlite.Connection._execute

    async def timed(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await hop(self, function, *args, **kwargs)
        finally:
            text = f"{function.__name__} {_sql(args[0])}" if args else function.__name__
            _note(text[:60], began, text[:120])

    aiosqlite.Connection._execute = timed  # type: ignore[method-assign]


def _time_postgres() -> None:
    from asyncpg.connection import Connection

    for name in ("execute", "fetch", "copy_records_to_table"):
        original = getattr(Connection, name)

        def timed(original: Callable = original, name: str = name) -> Callable:
            async def call(self, *args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return await original(self, *args, **kwargs)
                finally:
                    text = f"{name} {_sql(args[0])}" if args else name
                    _note(text[:60], began, text[:120])

            return call

        setattr(Connection, name, timed())


def _time_python() -> None:
    from campaign.cases import bulk, import_check

    for owner, name in (
        (import_check.CheckProcess, "next"),
        (bulk.ImportSpill, "rows"),
        (bulk.ImportSpill, "take"),
    ):
        original = getattr(owner, name)

        def timed(original: Callable = original, name: str = name) -> Callable:
            def call(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    _note(f"python {name}", began)

            return call

        setattr(owner, name, timed())


def time_statements() -> None:
    """Timers around every database call of this process, on both engines' drivers."""
    _time_sqlite()
    _time_postgres()


def summary() -> None:
    print("\nseconds, calls, what (over 0.2 s in all)", file=sys.stderr)
    for key, spent in seconds.most_common():
        if spent > 0.2:
            print(f"{spent:7.2f} {calls[key]:6d}  {key}", file=sys.stderr)


if __name__ == "__main__":  # the check's child process imports this module again
    time_statements()
    _time_python()
    atexit.register(summary)
    from campaign.cli import main

    sys.argv = ["campaign", "import", "cases", *sys.argv[1:]]
    main()
