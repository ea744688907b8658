"""The bulletin's share image (PNG) for WeChat groups, drawn with Pillow in the shipped font
(campaign.fonts.cjk_font: Noto Sans SC subset, SIL OFL), so no system font is needed."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from campaign.fonts import cjk_font as font
from campaign.reports import rules

WIDTH, PADDING = 900, 48
INK, MUTED, BRAND, BAD, GOOD, LINE = (
    "#1c2430",
    "#5b6677",
    "#12305a",
    "#b42318",
    "#1a7f4b",
    "#e3e8ef",
)


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> list[str]:
    """Lines of at most `width` pixels; Chinese wraps between any two characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for ch in paragraph:
            if draw.textlength(line + ch, font=font(size)) > width and line:
                lines.append(line)
                line = ch
            else:
                line += ch
        lines.append(line)
    return lines


def _change_text(c: dict) -> tuple[str, str]:
    if c["is_new"]:
        return "新增", BAD
    if c["percent"] is None or c["direction"] == "flat":
        return "持平", MUTED
    arrow = "↑" if c["direction"] == "up" else "↓"
    return f"{arrow}{abs(c['percent']):.1f}%", BAD if c["direction"] == "up" else GOOD


def share_png(figures: dict, narrative: str, reminder: str, qr_png: bytes | None = None) -> bytes:
    """A tall card: title, the two headline figures with 环比, the top lists, the text, the
    reminder and (optionally) the QR code to the public page."""
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    inner = WIDTH - 2 * PADDING
    body = _wrap(scratch, narrative, 26, inner)
    tip = _wrap(scratch, reminder, 24, inner - 32) if reminder else []
    height = 330 + len(body) * 42 + (len(tip) * 38 + 80 if tip else 0) + (300 if qr_png else 60)
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 120), fill=BRAND)
    draw.text((PADDING, 26), "宁波反诈地图", font=font(44, bold=True), fill="white")
    draw.text(
        (PADDING + 300, 44),
        f"{figures['week']} · {figures['label']}",
        font=font(26),
        fill="#dbe6f7",
    )
    y = 150
    for i, (label, value, unit, key) in enumerate(
        (
            ("受理案件", str(figures["cases"]), "起", "cases_change"),
            ("涉案金额", rules.wan(figures["loss_fen"]), "万元", "loss_change"),
        )
    ):
        x = PADDING + i * (inner // 2)
        draw.text((x, y), label, font=font(24), fill=MUTED)
        draw.text((x, y + 32), value, font=font(56, bold=True), fill=INK)
        vx = x + draw.textlength(value, font=font(56, bold=True)) + 8
        draw.text((vx, y + 62), unit, font=font(24), fill=MUTED)
        text, colour = _change_text(figures[key])
        draw.text((x, y + 104), f"环比 {text}", font=font(24), fill=colour)
    y += 160
    draw.line((PADDING, y, WIDTH - PADDING, y), fill=LINE, width=2)
    y += 20
    for line in body:
        draw.text((PADDING, y), line, font=font(26), fill=INK)
        y += 42
    if tip:
        y += 20
        draw.rounded_rectangle(
            (PADDING, y, WIDTH - PADDING, y + len(tip) * 38 + 40), radius=12, fill="#fff4e5"
        )
        for k, line in enumerate(tip):
            draw.text((PADDING + 16, y + 20 + k * 38), line, font=font(24), fill="#8a4b00")
        y += len(tip) * 38 + 60
    if qr_png:
        qr = (
            Image.open(io.BytesIO(qr_png))
            .convert("RGB")
            .resize((220, 220), Image.Resampling.NEAREST)
        )
        image.paste(qr, (PADDING, y + 10))
        draw.text((PADDING + 250, y + 80), "请扫二维码观看", font=font(30), fill=INK)
        draw.text((PADDING + 250, y + 124), "最新版宁波反诈地图", font=font(30), fill=INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
