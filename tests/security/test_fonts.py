"""Images the server draws carry their own CJK font, so Chinese is never drawn as empty boxes
("tofu") on a machine without system fonts (issue 15, item 12)."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image, ImageDraw

from campaign.fonts import BOLD, FOLDER, REGULAR, cjk_font

ROOT = Path(__file__).resolve().parents[2]


def _glyph(text: str, bold: bool = False) -> bytes:
    image = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(image).text((4, 4), text, font=cjk_font(48, bold), fill=255)
    return image.tobytes()


def test_font_files_and_licence_ship_with_the_package():
    assert REGULAR.stat().st_size > 500_000 and BOLD.stat().st_size > 500_000
    assert "SIL Open Font License" in (FOLDER / "LICENSE_FONT.txt").read_text()


def test_chinese_glyphs_differ_from_the_missing_glyph_box():
    tofu = _glyph("\ue000")  # private use: not in the font, drawn as .notdef
    for bold in (False, True):
        drawn = {ch: _glyph(ch, bold) for ch in "反诈宣传，。１Ａ"}
        for ch, pixels in drawn.items():
            assert any(pixels), ch
            assert pixels != tofu, f"{ch} is drawn as the missing-glyph box"
        assert len(set(drawn.values())) == len(drawn)  # every glyph is its own shape


def test_every_gb2312_hanzi_is_covered():
    font = cjk_font(12)
    tofu = bytes(font.getmask("\ue000"))
    missing = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                ch = bytes([high, low]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            if bytes(font.getmask(ch)) == tofu:
                missing.append(ch)
    assert not missing[:5]


def test_no_module_looks_for_system_fonts():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "campaign").rglob("*.py")
        if "fonts" not in path.parts
        and re.search(r"ImageFont\.(truetype|load_default)|/usr/share/fonts", path.read_text())
    ]
    assert offenders == []


def test_every_place_name_we_ship_is_covered():
    font = cjk_font(12)
    tofu = bytes(font.getmask("\ue000"))
    names = (ROOT / "campaign" / "regions" / "data" / "ningbo-2023.csv").read_text("utf-8-sig")
    missing = {c for c in names if ord(c) >= 0x2E80 and bytes(font.getmask(c)) == tofu}
    assert missing == set()
