"""Spreadsheet bombs and oversized sheets are refused before the XML is parsed (issue 15, item 9)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from campaign import importing
from campaign.importing import Column, ImportRejected, read_table

COLUMNS = [Column("name", ("名称",), required=True)]


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _inflate_sheet(data: bytes, padding: int) -> bytes:
    """The same workbook with its sheet XML padded by a comment that compresses ~1000:1."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetData>", b"<!--" + b" " * padding + b"--><sheetData>")
            target.writestr(item.filename, body)
    return out.getvalue()


def test_a_decompression_bomb_is_refused_from_the_zip_directory(monkeypatch):
    bomb = _inflate_sheet(_xlsx([["名称"], ["a"]]), 40 * 1024 * 1024)
    assert len(bomb) < 200_000
    parsed = []
    monkeypatch.setattr(
        "openpyxl.load_workbook", lambda *a, **k: parsed.append(1) or pytest.fail("parsed")
    )
    with pytest.raises(ImportRejected) as refused:
        read_table("bomb.xlsx", bomb, COLUMNS)
    assert "解压后过大" in refused.value.report() and not parsed


def test_expanded_size_cap(monkeypatch):
    monkeypatch.setattr(importing, "MAX_XLSX_EXPANDED", 10_000)
    with pytest.raises(ImportRejected):
        read_table("big.xlsx", _xlsx([["名称"]] + [["x" * 50] for _ in range(500)]), COLUMNS)


def test_too_many_rows_or_columns_are_refused(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 10)
    with pytest.raises(ImportRejected) as refused:
        read_table("rows.xlsx", _xlsx([["名称"]] + [["x"]] * 20), COLUMNS)
    assert "行数超过" in refused.value.report()
    with pytest.raises(ImportRejected) as refused:
        read_table("cols.xlsx", _xlsx([["名称"] + ["c"] * 300]), COLUMNS)
    assert "列数超过" in refused.value.report()


def test_an_ordinary_workbook_still_reads():
    rows = read_table("ok.xlsx", _xlsx([["名称"], ["白沙路"], ["附海"]]), COLUMNS)
    assert [cells["name"] for _number, cells in rows] == ["白沙路", "附海"]
