"""Event photos on disk: checked by content (Pillow, never the file name), stored under
MEDIA_ROOT with generated names, resized and thumbnailed later by a job."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from campaign.events.rules import MAX_PHOTO_BYTES
from campaign.files import write_atomically
from campaign.i18n import _
from campaign.settings import get_settings

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "MPO": "jpg"}
#: Pillow's own bomb guard, made an error: 40 megapixels is far above any phone camera.
MAX_PIXELS = 40_000_000
LARGE, THUMB = 1600, 480
FOLDER = "events"


@dataclass(frozen=True)
class Checked:
    extension: str
    width: int
    height: int


def check(data: bytes) -> tuple[Checked | None, str | None]:
    """Is this a photo we accept? Returns its kind and size, or a Chinese reason."""
    if len(data) > MAX_PHOTO_BYTES:
        return None, _("照片超过 %(n)s MB,请压缩后重新上传", n=MAX_PHOTO_BYTES // 1024 // 1024)
    if not data:
        return None, _("照片是空文件")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, size = image.format, image.size
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        return None, _("这不是可识别的图片,请上传 JPG、PNG 或 WebP 照片")
    if kind not in FORMATS:
        return None, _("不支持的图片格式 %(f)s,请上传 JPG、PNG 或 WebP 照片", f=kind)
    if size[0] * size[1] > MAX_PIXELS:
        return None, _("图片像素过大,请压缩后重新上传")
    return Checked(FORMATS[kind], size[0], size[1]), None


def root() -> Path:
    return get_settings().media_root / FOLDER


def path_of(stored_name: str, variant: str = "") -> Path:
    """The file of a stored photo; variant "large" or "thumb" for the job's JPEG derivatives."""
    base = root() / stored_name
    return base.with_name(f"{base.stem}_{variant}.jpg") if variant else base


def store(data: bytes, checked: Checked, day) -> str:
    """Write the original under a generated name (year/month/uuid.ext); returns that name."""
    name = f"{day:%Y}/{day:%m}/{uuid.uuid4().hex}.{checked.extension}"
    target = root() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, data)
    return name


def make_derivatives(stored_name: str) -> tuple[int, int]:
    """The large (≤1600 px) and thumbnail (≤480 px) JPEGs, upright per EXIF; returns the size
    of the large one."""
    with Image.open(path_of(stored_name)) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
        image.thumbnail((LARGE, LARGE))
        _save(image, path_of(stored_name, "large"), quality=85)
        size = image.size
        image.thumbnail((THUMB, THUMB))
        _save(image, path_of(stored_name, "thumb"), quality=80)
    return size


def _save(image: Image.Image, target: Path, quality: int) -> None:
    """A JPEG written whole or not at all: a worker killed half way leaves no truncated file
    that the page would serve, and the retried job simply writes it again."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    write_atomically(target, out.getvalue())


def remove(stored_name: str) -> None:
    for variant in ("", "large", "thumb"):
        path_of(stored_name, variant).unlink(missing_ok=True)
