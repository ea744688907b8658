"""Outreach work that runs outside a request: photo derivatives and clearing abandoned uploads."""

from __future__ import annotations

import asyncio
import datetime as dt

from arq import cron

from campaign.events import photos, queries
from campaign.timeutil import today


async def process_photo(ctx: dict, photo_id: int) -> bool:
    """Resize and thumbnail one uploaded photo (Pillow runs in a thread: it is CPU work). Run
    again after a crash it writes the same two files again (whole or not at all), and a photo
    already done is left alone."""
    row = await queries.photo(photo_id)
    if row is None or row["ready"]:
        return False
    width, height = await asyncio.to_thread(photos.make_derivatives, row["stored_name"])
    await queries.mark_photo_ready(photo_id, width, height)
    return True


async def purge_abandoned_photos(ctx: dict) -> int:
    """Photos uploaded with a form that was never saved, a day later."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    rows = await queries.orphan_photos(cutoff)
    for row in rows:
        photos.remove(row["stored_name"])
    await queries.delete_photos([row["id"] for row in rows])
    return len(rows)


async def refresh_coverage(ctx: dict) -> None:
    """Each town's 7/30/90-day coverage as of the new day, before anyone asks for it."""
    await queries.refresh_every_town(today())


FUNCTIONS = [process_photo, purge_abandoned_photos, refresh_coverage]
CRON_JOBS = [
    cron(purge_abandoned_photos, hour={3}, minute={40}, run_at_startup=False),
    cron(refresh_coverage, hour={0}, minute={1}, run_at_startup=False),
]
