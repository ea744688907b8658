"""The public bulletin's cache and rate limit, shared by every process.

With REDIS_URL the app keeps both in Redis (stores registered in campaign/app.py), so all
`--workers` processes and machines count one client's requests together and serve one cached page;
without it they live in this process. A new revision must show at once everywhere: `forget` drops
the cached pages in Redis, and the cache keys carry this process's generation, which `forget` bumps
(the embedded default runs the jobs that revise a week in the web process itself).
"""

from __future__ import annotations

from litestar.stores.redis import RedisStore

from campaign.settings import get_settings

#: Seconds a public page is kept; a new revision drops it at once (forget).
CACHE_SECONDS = 60
#: Requests a minute per client address.
RATE_PER_MINUTE = 300
#: Redis key prefixes of the response cache and the rate limit's counters.
CACHE_NAMESPACE = "campaign-public-cache"
RATE_NAMESPACE = "campaign-public-rate"

_generation = 0


def cache_key(path: str, locale: str, host: str = "") -> str:
    """One cached answer per path and language (and host, for what carries the address)."""
    return f"{_generation}|{path}|{locale}|{host}"


def redis_stores() -> dict[str, RedisStore]:
    """The app's stores for the response cache and the rate limit when REDIS_URL is set."""
    url = get_settings().redis_url
    if not url:
        return {}
    return {
        "response_cache": RedisStore.with_client(url=url, namespace=CACHE_NAMESPACE),
        "rate_limit": RedisStore.with_client(url=url, namespace=RATE_NAMESPACE),
    }


async def forget() -> None:
    """Drop every cached public page, in this process and (with Redis) in all of them."""
    global _generation
    _generation += 1
    url = get_settings().redis_url
    if url:
        store = RedisStore.with_client(url=url, namespace=CACHE_NAMESPACE)
        async with store:  # closes its connection on the way out
            await store.delete_all()
