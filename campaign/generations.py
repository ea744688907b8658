"""Change counters shared by every process, so that each process may keep what it read (the
logged-in user, the home cards) until the data behind it changes.

A generation is an opaque token that moves whenever someone calls `bump` after committing a
change. With REDIS_URL it is a Redis key (every web process, the worker and the CLI see it, also
across machines); without it (the embedded set-up, one machine) a small file in CAMPAIGN_VAR.
Reading costs one Redis GET or one small file read — far less than the database reads it saves.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from redis.asyncio import Redis

from campaign.settings import get_settings

#: Users, their units and tokens: the per-session user cache (campaign.accounts.queries).
ACCOUNTS = "accounts"
#: Any audited write: what the home cards show (campaign.home.queries).
DATA = "data"

_clients: dict[asyncio.AbstractEventLoop, Redis] = {}


def _key(name: str) -> str:
    database = urlsplit(get_settings().redis_url or "").path.strip("/") or "0"
    return f"campaign:{database}:generation:{name}"


def _file(name: str) -> Path:
    return get_settings().var_dir / "generations" / name


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
    found: list[bytes | None] = []
    for name in names:
        try:
            found.append(_file(name).read_bytes())
        except FileNotFoundError:
            found.append(None)
    return tuple(found)


async def bump(*names: str) -> None:
    """Say that the data behind `names` changed; call it after the change committed."""
    token = uuid.uuid4().hex
    if get_settings().redis_url:
        client = await _redis()
        await client.mset({_key(name): token for name in names})
        return
    for name in names:
        path = _file(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{name}.{token}")
        temporary.write_text(token)
        os.replace(temporary, path)
