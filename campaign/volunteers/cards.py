"""Images of a propagandist's code: the QR code as PNG and SVG (segno) and the printable card
(Pillow, with the CJK font the package ships), plus an event's check-in code."""

from __future__ import annotations

import io

import segno
from PIL import Image, ImageDraw

from campaign.fonts import cjk_font

BRAND = (18, 48, 90)
ACCENT = (31, 95, 191)
GOLD = (246, 183, 60)
CARD_SIZE = (1080, 1500)  # portrait, prints at 9 x 12.5 cm at 300 dpi


def qr_png(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=2, dark="#12305a")
    return buffer.getvalue()


def qr_svg(url: str, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=scale, border=2, dark="#12305a", xmldecl=False
    )
    return buffer.getvalue()


def _font(size: int):
    return cjk_font(size, bold=True)


def _centered(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill, width: int) -> None:
    font = _font(size)
    while size > 20 and draw.textlength(text, font=font) > width - 120:
        size -= 4
        font = _font(size)
    x = (width - draw.textlength(text, font=font)) / 2
    draw.text((x, y), text, font=font, fill=fill)


def _mascot(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    """The 小牛警 mark: a calf's head in a police cap, drawn from shapes (no image asset)."""
    draw.ellipse((cx - r - r // 2, cy - r // 3, cx - r + r // 4, cy + r // 5), fill=(255, 255, 255))
    draw.ellipse((cx + r - r // 4, cy - r // 3, cx + r + r // 2, cy + r // 5), fill=(255, 255, 255))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255))
    draw.pieslice((cx - r, cy - r - r // 3, cx + r, cy + r // 2), 180, 360, fill=ACCENT)
    draw.rectangle((cx - r, cy - r // 3 - 4, cx + r, cy - r // 3 + 10), fill=BRAND)
    draw.ellipse((cx - 12, cy - r + 8, cx + 12, cy - r + 32), fill=GOLD)
    draw.ellipse((cx - r // 2 - 9, cy - 2, cx - r // 2 + 9, cy + 16), fill=BRAND)
    draw.ellipse((cx + r // 2 - 9, cy - 2, cx + r // 2 + 9, cy + 16), fill=BRAND)
    draw.ellipse((cx - r // 2, cy + r // 3, cx + r // 2, cy + r - 6), fill=(255, 214, 214))


def card_png(url: str, name: str, unit: str, kind: str, area_text: str) -> bytes:
    """The printable card: brand band, the 小牛警 mark, the person's name and unit, the code and
    what scanning it does."""
    width, height = CARD_SIZE
    card = Image.new("RGB", CARD_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width, 420), fill=BRAND)
    draw.polygon([(0, 420), (width, 360), (width, 420)], fill=(255, 255, 255))
    _mascot(draw, width // 2, 150, 78)
    _centered(draw, 250, "小牛警 · 防骗我最牛", 58, (255, 255, 255), width)
    _centered(draw, 330, "全民反诈 · 扫码加入志愿者", 34, (203, 220, 245), width)
    _centered(draw, 450, name, 76, BRAND, width)
    _centered(
        draw, 550, f"{unit} · {kind}宣传员" if unit else f"{kind}宣传员", 36, (70, 80, 95), width
    )
    qr = Image.open(io.BytesIO(qr_png(url, scale=14))).convert("RGB")
    side = 620
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    top = 630
    draw.rounded_rectangle(
        ((width - side) // 2 - 24, top - 24, (width + side) // 2 + 24, top + side + 24),
        radius=28,
        outline=ACCENT,
        width=6,
    )
    card.paste(qr, ((width - side) // 2, top))
    _centered(draw, top + side + 50, "微信或手机相机扫一扫\uff0c30 秒加入", 38, (40, 40, 40), width)
    if area_text:
        _centered(draw, top + side + 105, f"宣传范围\uff1a{area_text}", 28, (110, 118, 130), width)
    draw.rectangle((0, height - 90, width, height), fill=ACCENT)
    _centered(draw, height - 72, "全国反诈专线 96110 · 国家反诈中心APP", 34, (255, 255, 255), width)
    buffer = io.BytesIO()
    card.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
