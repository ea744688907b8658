"""ZIP member names built from titles cannot escape the folder they are unpacked into (issue 15,
item 10)."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from campaign.materials.rules import zip_member_name
from campaign.materials.serving import zip_stream


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and ":" not in name
        and all(ord(c) >= 32 for c in name)
        and name == name.strip()
    )


@given(st.lists(st.text(max_size=40), max_size=8))
def test_every_name_is_safe_and_unique(names):
    taken: set[str] = set()
    out = [zip_member_name(n, taken) for n in names]
    assert all(_safe(n) and n for n in out)
    assert len({n.lower() for n in out}) == len(out)


def test_known_attacks():
    taken: set[str] = set()
    assert zip_member_name("../../etc/passwd", taken) == "etc/passwd"
    assert zip_member_name("/abs/海报.jpg", taken) == "abs/海报.jpg"
    assert zip_member_name("..\\..\\win.ini", taken) == "win.ini"
    assert zip_member_name("C:\\x.txt", taken) == "C_/x.txt"
    assert zip_member_name("abs/海报.jpg", taken) == "abs/海报 (2).jpg"
    assert zip_member_name("..", taken) == "file"
    assert zip_member_name("0 .", taken) == "0"  # found by Hypothesis: a space left before a dot


async def test_zip_stream_writes_sanitised_names():
    entries = [("../../evil.txt", None, b"x"), ("../../evil.txt", None, b"y")]
    data = b"".join([chunk async for chunk in zip_stream(entries)])
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["evil.txt", "evil (2).txt"]
