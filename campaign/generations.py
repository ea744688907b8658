"""Change counters shared by every process, so that each process may keep what it read (the
logged-in user, the home cards) until the data behind it changes.

A generation is an opaque token that moves whenever someone calls `bump` after committing a
change. With REDIS_URL it is a Redis key (every web process, the worker and the CLI see it, also
across machines); without it (the embedded set-up, one machine) a slot of one small file in
CAMPAIGN_VAR. Reading costs one Redis MGET or one small file read — far less than the database
reads it saves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from redis.asyncio import Redis

from campaign.settings import get_settings

#: Users, their units and tokens: the per-session user cache (campaign.accounts.queries).
ACCOUNTS = "accounts"
#: Any committed write (campaign.db.write_transaction): the home cards, which show every domain.
DATA = "data"

# The domains a write declares (campaign.db.write_transaction(*domains)); each also moves DATA.
#: Cases and what the streak boards read with them (regions, stations, settings, snapshots):
#: the kept boards follow it.
CASES = "cases"
VOLUNTEERS = "volunteers"
WARNINGS = "warnings"
EVENTS = "events"
MATERIALS = "materials"
#: What a write that names no domain moves: every one, so that no kept view outlives it.
DOMAINS = (CASES, VOLUNTEERS, WARNINGS, EVENTS, MATERIALS)

_clients: dict[asyncio.AbstractEventLoop, Redis] = {}


def _key(name: str) -> str:
    database = urlsplit(get_settings().redis_url or "").path.strip("/") or "0"
    return f"campaign:{database}:generation:{name}"


#: Every generation, in the order of its slot in the embedded set-up's file.
NAMES = (ACCOUNTS, DATA, *DOMAINS)
#: The bytes of a token (uuid4().hex) and so of a slot.
TOKEN = 32


def _slot(name: str) -> int:
    """Where `name`'s token starts in the file."""
    return NAMES.index(name) * TOKEN


def _file() -> Path:
    """One file holds every generation, each in its slot (NAMES): a write moves two or more
    of them and every page reads one or two, each one open and close of one file."""
    return get_settings().var_dir / "generations.tokens"


async def _redis() -> Redis:
    """One client per event loop (a client is bound to the loop that made it)."""
    loop = asyncio.get_running_loop()
    if loop not in _clients:
        _clients.clear()
        _clients[loop] = Redis.from_url(get_settings().redis_url or "")
    return _clients[loop]


async def current(*names: str) -> tuple:
    """The generations of `names`, comparable with an earlier answer: equal means unchanged."""
    if get_settings().redis_url:
        client = await _redis()
        return tuple(await client.mget([_key(name) for name in names]))
    try:
        data = _file().read_bytes()
    except FileNotFoundError:
        data = b""
    return tuple(data[at : at + TOKEN] or None for at in map(_slot, names))


async def bump(*names: str) -> None:
    """Say that the data behind `names` changed; call it after the change committed. Inside
    `sent_with_next_job` (with Redis) the new tokens wait for that job's round trip."""
    token = uuid.uuid4().hex
    if get_settings().redis_url:
        tokens = {_key(name): token for name in names}
        waiting = _waiting.get()
        if waiting is not None and waiting.open:
            waiting.tokens.update(tokens)
            return
        await _set(tokens)
        return
    _overwrite(_file(), {_slot(name): token.encode() for name in names})


@dataclass(slots=True)
class _Waiting:
    """Redis keys and the tokens that wait to be set with the next job queued. Closed when its
    block ends: a task started inside it (an in-process job) carries it in its context."""

    tokens: dict[str, str] = field(default_factory=dict)
    open: bool = True


_waiting: ContextVar[_Waiting | None] = ContextVar("generations_waiting", default=None)


@contextlib.asynccontextmanager
async def sent_with_next_job() -> AsyncIterator[None]:
    """A write use case that commits, then queues its follow-up job: with Redis the bumps of
    its commit go in the job's own transaction (campaign.jobs), one round trip instead of two
    (~0.3 ms of a case write). Whatever the job did not take (none was queued, Redis failed
    it) is set when the block ends, exception or not. Between the commit and then, a reader
    may keep what it read a moment longer, as it may between the commit and a bump."""
    waiting = _Waiting()
    token = _waiting.set(waiting)
    try:
        yield
    finally:
        waiting.open = False
        _waiting.reset(token)
        if waiting.tokens:
            await _set(waiting.tokens)


async def _set(tokens: dict[str, str]) -> None:
    client = await _redis()
    await client.mset(tokens)


def take_waiting() -> dict[str, str]:
    """The tokens waiting for the next job, taken: the caller sets them with it, or gives them
    back (give_back) when it could not."""
    waiting = _waiting.get()
    if waiting is None or not waiting.open or not waiting.tokens:
        return {}
    taken, waiting.tokens = waiting.tokens, {}
    return taken


def give_back(tokens: dict[str, str]) -> None:
    """Tokens a failed job took, set when the block ends (a later bump's token wins)."""
    if tokens and (waiting := _waiting.get()) is not None:
        waiting.tokens = {**tokens, **waiting.tokens}


def _overwrite(path: Path, slots: dict[int, bytes]) -> None:
    """Write tokens over the previous ones in place (every token has the same length). A rename
    or a truncation would make ext4 write the file out at once (auto_da_alloc): ~0.4 ms a file,
    on every write of the embedded set-up. A reader racing the write sees the old token, the new
    one or a mix of both; a mix only ever compares unequal, i.e. costs one extra refresh. A slot
    never written reads as nothing or as zeros (a hole before a later slot): a value that stays
    equal until its first bump, like a token."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for at, data in slots.items():
            os.pwrite(descriptor, data, at)
    finally:
        os.close(descriptor)


K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Values a process keeps until the generation `name` moves (in any process) or `seconds`
    pass, at most `size` of them (then it starts afresh): the per-session user, the home cards."""

    def __init__(self, name: str, seconds: float, size: int) -> None:
        self.name, self.seconds, self.size = name, seconds, size
        self.entries: dict[K, V] = {}
        self._valid: tuple[tuple, float] = ((), 0.0)

    async def check(self) -> None:
        """Drop everything if the generation moved or the time ran out. Call it BEFORE reading
        what will be kept, so that a change committed meanwhile is not kept as current."""
        generation = await current(self.name)
        known, expires = self._valid
        if generation != known or time.monotonic() >= expires:
            self.entries.clear()
            self._valid = (generation, time.monotonic() + self.seconds)

    def get(self, key: K) -> V | None:
        return self.entries.get(key)

    def put(self, key: K, value: V) -> V:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = value
        return value

    def forget(self, key: K) -> None:
        self.entries.pop(key, None)
