"""Without Redis, a session read renews its expiry only once a minute of its lifetime has gone
(security.SessionFileStore): Litestar's FileStore rewrote the file on every request."""

from __future__ import annotations

from pathlib import Path

from campaign.security import SessionFileStore


def written(store: SessionFileStore, key: str) -> tuple[int, bytes]:
    file = Path(str(store._path_from_key(key)))
    return file.stat().st_mtime_ns, file.read_bytes()


async def test_a_fresh_session_is_not_rewritten_and_an_older_one_is_renewed(tmp_path):
    store = SessionFileStore(path=tmp_path, create_directories=True)
    await store.set("fresh", b"data", expires_in=3600)
    before = written(store, "fresh")
    assert await store.get("fresh", renew_for=3600) == b"data"
    assert written(store, "fresh") == before  # not rewritten

    await store.set("older", b"data", expires_in=3600 - SessionFileStore.RENEW_AFTER - 5)
    assert await store.get("older", renew_for=3600) == b"data"
    left = await store.expires_in("older")
    assert left is not None and left > 3600 - SessionFileStore.RENEW_AFTER  # renewed

    await store.set("gone", b"data", expires_in=-1)
    assert await store.get("gone", renew_for=3600) is None
