"""The CJK font every image the server draws uses (posters, thumbnails, QR cards, share images).

Shipped with the package (Noto Sans SC subset to GB2312, SIL OFL 1.1, see README.md here), so a
machine without system CJK fonts still draws Chinese instead of empty boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

FOLDER = Path(__file__).resolve().parent
REGULAR = FOLDER / "NotoSansSC-Regular-GB2312.ttf"
BOLD = FOLDER / "NotoSansSC-Bold-GB2312.ttf"


@cache
def cjk_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans SC at `size` pixels; covers GB2312 hanzi, ASCII and full-width punctuation."""
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)
