"""A disk that fills up while someone uploads (issue 15, faults): a clear Chinese message, no
partial file left behind, nothing recorded, and the same upload works once space is freed.
The full disk is real: a small tmpfs mounted for the test (root, as in CI)."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image

from campaign import jobs
from campaign.events.tables import Event, EventPhoto
from campaign.files import disk_full
from campaign.importing import keep_upload, uploads_folder
from campaign.materials.storage import get_storage
from campaign.materials.tables import Material
from tests.helpers.events import form, log_in_as, people, submit
from tests.helpers.faults import fill, small_disk
from tests.helpers.materials import upload
from tests.helpers.web import login

FULL = "服务器存储空间已满"


def noisy_png(size: int = 200) -> bytes:
    """An image that does not compress: about 3 × size² bytes."""
    rng = random.Random(15)
    image = Image.frombytes(
        "RGB", (size, size), bytes(rng.getrandbits(8) for _ in range(3 * size * size))
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def media(environment, tmp_path):
    with small_disk(tmp_path / "media", "1m") as folder:
        environment(MEDIA_ROOT=str(folder), CAMPAIGN_VAR=str(folder))
        get_storage.cache_clear()
        yield folder
    get_storage.cache_clear()


async def test_an_event_photo_on_a_full_disk(client, make_user, media):
    await people(make_user)
    await log_in_as(client, "coord_town")
    photo = [("photos", ("现场.png", noisy_png(), "image/png"))]  # ≈120 KB
    filler = fill(media, leave=40 * 1024)
    before = files_under(media)  # the filler, and what logging in wrote (session, generations)

    refused = await submit(client, await form(), files=photo)
    assert refused.status_code == 400 and FULL in refused.text
    assert files_under(media) == before  # no half-written photo
    assert await EventPhoto.count() == 0 and await Event.count() == 0

    filler.unlink()
    saved = await submit(client, await form(), files=photo)
    assert saved.status_code == 302 and await Event.count() == 1
    await jobs.drain()  # the thumbnail job, which writes its own files
    stored = [name for name in files_under(media) if name.endswith(".png")]
    assert len(stored) == 1 and (media / stored[0]).read_bytes() == photo[0][1][1]
    assert not [name for name in files_under(media) if name.endswith(".part")]


async def test_a_material_upload_on_a_full_disk(client, make_user, media):
    await make_user("boss", "admin")
    await login(client, "boss")
    filler = fill(media, leave=40 * 1024)
    before = files_under(media)  # the filler, and what logging in wrote (session, generations)

    refused = await upload(client, "poster", "海报.png", noisy_png())
    assert refused.status_code == 507 and FULL in refused.text
    assert files_under(media) == before  # the spooled part is gone too
    assert await Material.count() == 0

    filler.unlink()
    saved = await upload(client, "poster", "海报.png", noisy_png())
    assert saved.status_code == 302 and await Material.count() == 1


async def test_an_import_file_kept_for_confirmation_on_a_full_disk(db, media):
    uploads_folder()
    fill(media, leave=40 * 1024)
    with pytest.raises(OSError) as error:
        keep_upload(b"x" * 200_000)
    assert disk_full(error.value)
    assert files_under(uploads_folder()) == set()
