"""Previews: real ones where the tools exist, clear placeholders where not, bounded tool runs."""

from __future__ import annotations

import io
import shutil
import time

from PIL import Image

from campaign import worker
from campaign.materials import jobs, media
from tests.helpers.materials import TINY_MP4, pdf_bytes, png_bytes


def is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff" and Image.open(io.BytesIO(data)).width > 0


def test_image_preview_is_a_small_jpeg(tmp_path):
    path = tmp_path / "p.png"
    path.write_bytes(png_bytes(2000, 1500))
    preview, duration = media.make_preview("png", path)
    assert is_jpeg(preview) and duration is None
    assert Image.open(io.BytesIO(preview)).width == media.PREVIEW_WIDTH


def test_video_preview_has_a_frame_and_duration_or_a_placeholder(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(TINY_MP4)
    preview, duration = media.make_preview("mp4", path)
    assert is_jpeg(preview)
    assert (duration is not None) == bool(shutil.which("ffprobe"))


def test_a_pdf_the_renderer_chokes_on_gets_a_placeholder(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(pdf_bytes(1)[:60])
    preview, _ = media.make_preview("pdf", path)
    assert is_jpeg(preview)


def test_external_tools_are_stopped_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(media, "TOOL_TIMEOUT", 0.3)
    started = time.monotonic()
    assert media._run(["sleep", "5"]) is None
    assert time.monotonic() - started < 3


def test_the_preview_job_is_registered_with_the_worker():
    assert jobs.make_preview in worker.FUNCTIONS
