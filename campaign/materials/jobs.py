"""Work that runs after an upload: the preview image and the duration of a new version."""

from __future__ import annotations

import asyncio

from campaign.i18n import _
from campaign.materials import media, queries, rules
from campaign.materials.storage import get_storage


async def make_preview(ctx: dict, version_id: int) -> str | None:
    """Draw the preview of one stored version (thumbnail, first PDF page, video frame or a clear
    placeholder) and attach it; returns the preview's storage key."""
    version = await queries.version_for_preview(version_id)
    if version is None:
        return None
    storage = get_storage()
    fmt = rules.sniff(b"".join([c async for c in storage.read_range(version["file_key"], 0, 63)]))
    with storage.local_copy(version["file_key"]) as path:
        try:
            image, duration = await asyncio.to_thread(media.make_preview, fmt.format, path)
        except Exception:
            image, duration = media.placeholder(_("素材"), _("预览生成失败")), None
    key = f"previews/{version['material_id']}/v{version['number']}.jpg"
    await storage.put_bytes(key, image)
    await queries.set_preview(version_id, key, duration)
    return key


FUNCTIONS = [make_preview]
CRON_JOBS: list = []
