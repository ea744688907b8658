"""The public page across processes: one cache and one rate limit in Redis when REDIS_URL is set,
a revision made by a job shows at once, and the QR code carries PUBLIC_BASE_URL when set."""

from __future__ import annotations

import datetime as dt

import httpx
from litestar.stores.redis import RedisStore

from campaign import jobs
from campaign.reports import public, queries
from campaign.reports.controllers import qr_png
from campaign.reports.rules import Week
from campaign.reports.tables import Bulletin
from tests.helpers.services import REDIS_URL, need_redis

W27 = Week(2023, 27)


async def _redis_or_skip() -> None:
    await need_redis()


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_two_processes_share_the_cached_page_and_the_rate_limit(report_data, environment):
    await _redis_or_skip()
    environment(REDIS_URL=REDIS_URL)
    from campaign.app import create_app
    from campaign.db import close_pool, start_pool

    await queries.publish(W27, actor=None)
    rate = RedisStore.with_client(url=REDIS_URL, namespace=public.RATE_NAMESPACE)
    async with rate:
        await rate.delete_all()
    await start_pool()
    try:
        async with _client(create_app()) as first, _client(create_app()) as second:
            page = await first.get("/public/bulletin")
            assert 'data-public-week="2023-W27"' in page.text and "改过的文字" not in page.text
            # changed behind the cache's back: the other process still serves the cached page
            await Bulletin.update(
                {Bulletin.narrative: "改过的文字", Bulletin.published_at: dt.datetime.now(dt.UTC)}
            ).where(Bulletin.week_key == W27.key)
            assert "改过的文字" not in (await second.get("/public/bulletin")).text
            await public.forget()  # what a new revision does, in whichever process made it
            assert "改过的文字" in (await second.get("/public/bulletin")).text

            # the two processes count one client's requests together
            used = 3
            statuses = []
            for n in range(public.RATE_PER_MINUTE - used + 1):
                statuses.append(
                    (await (first if n % 2 else second).get("/public/bulletin")).status_code
                )
            assert set(statuses[:-1]) == {200} and statuses[-1] == 429
    finally:
        async with rate:
            await rate.delete_all()
        await close_pool()


async def test_a_revision_made_by_the_import_job_shows_on_the_public_page_at_once(
    client, report_data
):
    from campaign.cases.imports import import_file as import_cases
    from tests.helpers import report_week

    await queries.publish(W27, actor=None)
    assert "660.60" in (await client.get("/public/bulletin")).text  # now cached
    data = report_week.cases_csv(report_data, week27_loss_fen=report_week.LOSS_27_FEN + 1_000_000)
    await import_cases("cases", "again.csv", data, dry_run=False, actor=None)
    await jobs.drain()
    assert (await queries.latest_published(W27.key)).revision == 2
    assert "661.60" in (await client.get("/public/bulletin")).text


async def test_the_qr_code_points_at_public_base_url_when_set(client, report_data, environment):
    await queries.publish(W27, actor=None)
    here = await client.get("/public/bulletin/qr.png")
    assert here.content == qr_png("http://testserver/public/bulletin")
    environment(PUBLIC_BASE_URL="https://fzdt.example.cn/")
    configured = await client.get("/public/bulletin/qr.png")
    assert configured.content == qr_png("https://fzdt.example.cn/public/bulletin")
