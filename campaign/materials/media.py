"""Looking inside files: content checks at upload and previews afterwards (Pillow, and pdftoppm,
ffmpeg and ffprobe when the machine has them; a clear placeholder when it does not). Every
external tool runs with a time-out and a memory cap, so a hostile file costs seconds, not the server.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

from campaign.fonts import cjk_font
from campaign.i18n import _
from campaign.materials import rules

PREVIEW_WIDTH = 640
TOOL_TIMEOUT = 20
TOOL_MEMORY = 1024 * 1024 * 1024
BRAND = (23, 76, 150)


# -- Checks at upload -----------------------------------------------------------------------------


def check_file(kind: str, path: Path, head: bytes, size: int) -> tuple[rules.Sniffed, str | None]:
    """What the file is and, if it may not be stored as this kind, why."""
    sniffed = rules.sniff(head)
    if error := rules.size_error(kind, size) or rules.format_error(kind, sniffed):
        return sniffed, error
    if sniffed.format == "pdf":
        return sniffed, rules.pdf_error(*rules.pdf_page_count(_chunks(path)))
    if sniffed.content_type.startswith("image/"):
        return sniffed, _image_error(path)
    if sniffed.format in ("mp4", "m4a"):
        with path.open("rb") as handle:

            def read_at(offset: int, length: int) -> bytes:
                handle.seek(offset)
                return handle.read(length)

            return sniffed, rules.mp4_error(read_at, size)
    return sniffed, None


def _chunks(path: Path, size: int = 1024 * 1024):
    with path.open("rb") as handle:
        while data := handle.read(size):
            yield data


def _image_error(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            if image.width * image.height > rules.MAX_IMAGE_PIXELS:
                return _("图片像素过大(%(w)s×%(h)s)", w=image.width, h=image.height)
            image.verify()
    except Exception:
        return _("图片文件已损坏,无法打开")
    return None


# -- Previews -------------------------------------------------------------------------------------


def _run(args: list[str]) -> subprocess.CompletedProcess | None:
    """An external tool with a time-out and (through util-linux prlimit, as preexec_fn is unsafe
    in a threaded server) an address-space cap; None when it fails."""
    if shutil.which("prlimit"):
        args = ["prlimit", f"--as={TOOL_MEMORY}", "--", *args]
    try:
        result = subprocess.run(args, capture_output=True, timeout=TOOL_TIMEOUT, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return result if result.returncode == 0 else None


def _jpeg(image: Image.Image, width: int = PREVIEW_WIDTH) -> bytes:
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((width, width * 2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def placeholder(title: str, note: str, width: int = PREVIEW_WIDTH) -> bytes:
    """A clear stand-in preview: the brand colour, what the file is and why there is no picture."""
    height = width * 3 // 4
    image = Image.new("RGB", (width, height), BRAND)
    draw = ImageDraw.Draw(image)
    draw.text(
        (width // 2, height // 2 - 20),
        title,
        font=cjk_font(44, bold=True),
        fill="white",
        anchor="mm",
    )
    draw.text(
        (width // 2, height // 2 + 40), note, font=cjk_font(22), fill=(210, 222, 240), anchor="mm"
    )
    return _jpeg(image, width)


def duration_of(path: Path) -> float | None:
    if not shutil.which("ffprobe"):
        return None
    result = _run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    )
    try:
        return round(float(json.loads(result.stdout)["format"]["duration"]), 2) if result else None
    except (KeyError, ValueError, TypeError):
        return None


def _video_frame(path: Path, duration: float | None) -> bytes | None:
    if not shutil.which("ffmpeg"):
        return None
    at = f"{min(1.0, (duration or 0) / 2):.2f}"
    args = ["ffmpeg", "-v", "error", "-ss", at, "-i", str(path), "-frames:v", "1"]
    result = _run(
        [*args, "-vf", f"scale={PREVIEW_WIDTH}:-2", "-f", "image2pipe", "-c:v", "mjpeg", "-"]
    )
    return result.stdout if result and result.stdout else None


def _pdf_first_page(path: Path) -> bytes | None:
    if not shutil.which("pdftoppm"):
        return None
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder) / "page"
        args = ["pdftoppm", "-f", "1", "-l", "1", "-scale-to", str(PREVIEW_WIDTH), "-jpeg"]
        if _run([*args, str(path), str(prefix)]) is None:
            return None
        pages = sorted(Path(folder).glob("page*.jpg"))
        return pages[0].read_bytes() if pages else None


def make_preview(fmt: str, path: Path) -> tuple[bytes, float | None]:
    """A JPEG preview of a stored file and, for video and audio, its duration in seconds."""
    if fmt in ("png", "jpeg", "gif", "webp"):
        with Image.open(path) as image:
            image.seek(0)
            return _jpeg(image), None
    if fmt == "pdf":
        page = _pdf_first_page(path)
        return page or placeholder("PDF", _("预览暂不可用(缺少 pdftoppm 或文件无法渲染)")), None
    duration = duration_of(path)
    if fmt == "mp4":
        frame = _video_frame(path, duration)
        return frame or placeholder(_("短视频"), _("预览暂不可用(缺少 ffmpeg)")), duration
    return placeholder(_("音频"), _("可在详情页试听")), duration
