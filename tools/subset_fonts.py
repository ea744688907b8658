"""Regenerate campaign/fonts/*.ttf from the npm package @expo-google-fonts/noto-sans-sc 0.4.3.

npm pack @expo-google-fonts/noto-sans-sc@0.4.3 && tar xzf expo-google-fonts-noto-sans-sc-0.4.3.tgz
python tools/subset_fonts.py package/   # needs fontTools (pip install fonttools)
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "campaign" / "fonts"
#: Beyond GB2312: every character of the place names we ship and of the UI's own text.
EXTRA_SOURCES = ("campaign/regions/data/*.csv", "templates/**/*.html", "campaign/**/*.po")
WEIGHTS = {"400Regular": "Regular", "700Bold": "Bold"}


def characters() -> set[str]:
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([high, low]).decode("gb2312"))
    chars |= {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0x3000, 0x3040)}
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}
    chars |= set("·—‘’“”…¥€°±×÷")
    for pattern in EXTRA_SOURCES:
        for path in ROOT.glob(pattern):
            chars |= {c for c in path.read_text(encoding="utf-8-sig") if ord(c) >= 0x2E80}
    return chars


def main(package: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(f"U+{ord(c):04X}" for c in sorted(characters())))
    for weight, name in WEIGHTS.items():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "fontTools.subset",
                str(package / weight / f"NotoSansSC_{weight}.ttf"),
                f"--unicodes-file={handle.name}",
                "--no-hinting",
                "--desubroutinize",
                "--layout-features=",
                f"--output-file={OUT / f'NotoSansSC-{name}-GB2312.ttf'}",
            ],
            check=True,
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
