"""Importing regions and stations (docs/import-formats.md): a file is taken whole or not at all, every bad row
is named, any common encoding or an Excel file works, and importing twice changes nothing."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from campaign.accounts.tables import AuditEntry
from campaign.cli import main
from campaign.importing import ImportRejected
from campaign.regions.imports import import_file
from campaign.regions.tables import Region, Station, StationTown
from tests.helpers.database import truncate_all
from tests.helpers.ningbo import REGIONS_CSV, load_slice

NINGBO = Path(__file__).resolve().parents[2] / "campaign" / "regions" / "data" / "ningbo-2023.csv"
HEADER = "区划代码,名称,级别,上级代码,常住人口,派出所编码\n"


async def regions(text: str, dry_run: bool = False, filename: str = "regions.csv"):
    return await import_file("regions", filename, text.encode(), dry_run=dry_run, actor=None)


async def rejected(kind: str, data: bytes, filename: str = "file.csv") -> list:
    with pytest.raises(ImportRejected) as caught:
        await import_file(kind, filename, data, dry_run=False, actor=None)
    return caught.value.errors


async def test_the_shipped_ningbo_file_holds_10_districts_162_towns_and_3042_villages(db):
    summary = await import_file("regions", NINGBO.name, NINGBO.read_bytes(), False, None)
    assert len(summary.added) == 10 + 162 + 3042
    assert await Region.count().where(Region.level == "district") == 10
    assert await Region.count().where(Region.level == "town") == 162
    assert await Region.count().where(Region.level == "village") == 3042
    baisha = await Region.select().where(Region.code == "330282005").first()
    assert baisha["name"] == "白沙路街道" and baisha["level"] == "town"
    assert baisha["parent_code"] == baisha["district_code"] == "330282"
    cixi = await Region.select(Region.name).where(Region.code == "330282").first()
    assert cixi["name"] == "慈溪市"


async def test_unknown_parent_code_is_named_with_its_row(db):
    errors = await rejected("regions", (HEADER + "330282005,白沙路街道,镇街,330282,,\n").encode())
    assert [(e.row, e.column) for e in errors] == [(2, "上级代码")]
    assert "330282" in errors[0].reason and "不存在" in errors[0].reason


async def test_a_code_twice_in_one_file_is_refused_pointing_at_the_first(db):
    errors = await rejected(
        "regions", (HEADER + "330282,慈溪市,区县,,,\n330282,慈溪,区县,,,\n").encode()
    )
    assert [(e.row, e.column) for e in errors] == [(3, "区划代码")]
    assert "重复" in errors[0].reason and "第 2 行" in errors[0].reason


async def test_a_nine_digit_code_declared_as_village_is_refused(db):
    await load_slice()
    errors = await rejected("regions", (HEADER + "330282005,白沙路,村社,330282005,,\n").encode())
    assert [(e.row, e.column) for e in errors] == [(2, "区划代码")]
    assert "12 位" in errors[0].reason


async def test_a_town_whose_parent_is_a_town_is_refused(db):
    await load_slice()
    errors = await rejected("regions", (HEADER + "330282006,新镇,镇街,330282005,,\n").encode())
    assert [(e.row, e.column) for e in errors] == [(2, "上级代码")]
    assert "级别不对" in errors[0].reason


async def test_a_code_that_does_not_start_with_its_parent_is_refused(db):
    await load_slice()
    errors = await rejected(
        "regions", (HEADER + "330206002009,错挂社区,村社,330282005,,\n").encode()
    )
    assert [(e.row, e.column) for e in errors] == [(2, "区划代码")]
    assert "不在上级 330282005 之下" in errors[0].reason


async def test_a_gb18030_csv_is_read_with_its_chinese_names(db):
    await import_file("regions", "gbk.csv", REGIONS_CSV.encode("gb18030"), False, None)
    row = await Region.select().where(Region.code == "330282005002").first()
    assert row["name"] == "曙光社区" and row["population"] == 5200


async def test_a_utf8_csv_with_bom_is_read_with_its_first_column(db):
    await import_file("regions", "bom.csv", "\ufeff".encode() + REGIONS_CSV.encode(), False, None)
    assert await Region.count() == 9
    assert (await Region.select(Region.name).where(Region.code == "330282").first()) == {
        "name": "慈溪市"
    }


async def test_a_png_renamed_to_csv_is_refused_in_chinese(db):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256))
    errors = await rejected("regions", png, "picture.csv")
    assert errors[0].row == 0 and "不是 CSV 或 Excel 文件" in errors[0].reason
    assert await Region.count() == 0


async def test_bytes_in_no_known_encoding_are_refused_in_chinese(db):
    errors = await rejected("regions", b"\xff\xfe\x80" * 200, "garbage.csv")
    assert "无法识别文件编码" in errors[0].reason


async def test_an_xlsx_with_english_headers_is_imported(db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "level", "parent_code", "population"])
    sheet.append([330282, "慈溪市", "district", None, None])
    sheet.append([330282005, "白沙路街道", "town", 330282, 61000])
    sheet.append(["330282005004", "白沙社区", "village", "330282005", 8600])
    buffer = io.BytesIO()
    workbook.save(buffer)
    summary = await import_file("regions", "regions.xlsx", buffer.getvalue(), False, None)
    assert sorted(summary.added) == ["330282", "330282005", "330282005004"]
    village = await Region.select().where(Region.code == "330282005004").first()
    assert (village["town_code"], village["district_code"], village["population"]) == (
        "330282005",
        "330282",
        8600,
    )


async def test_one_bad_row_among_many_writes_nothing_and_names_that_row(db):
    lines = [HEADER.strip(), "330282,慈溪市,区县,,,", "330282005,白沙路街道,镇街,330282,,"]
    lines += [f"330282005{n:03d},社区{n},村社,330282005,{1000 + n}," for n in range(1, 40)]
    lines.insert(20, "330282005900,坏行,村社,330282005,很多,")
    errors = await rejected("regions", "\n".join(lines).encode())
    assert [(e.row, e.column) for e in errors] == [(21, "常住人口")]
    assert await Region.count() == 0


async def test_reimporting_the_same_file_changes_nothing(db):
    await load_slice()
    summary = await regions(REGIONS_CSV)
    assert (len(summary.added), len(summary.changed), summary.unchanged) == (0, 0, 9)
    assert "新增 0 条,更新 0 条" in summary.describe()


async def test_a_dry_run_reports_but_writes_nothing(db):
    summary = await regions(REGIONS_CSV, dry_run=True)
    assert len(summary.added) == 9
    assert await Region.count() == 0
    assert not await AuditEntry.exists()


async def test_a_changed_name_is_counted_as_changed(db):
    await load_slice()
    summary = await regions(REGIONS_CSV.replace("附海村", "附海新村"))
    assert summary.changed == ["330282108201"]
    row = await Region.select(Region.name).where(Region.code == "330282108201").first()
    assert row["name"] == "附海新村"


async def test_a_station_with_a_town_of_another_district_is_refused(db):
    await load_slice()
    data = "派出所编码,名称,区县代码,辖区镇街\nPS1,跨区派出所,330282,330282005;330206002\n"
    errors = await rejected("stations", data.encode())
    assert [(e.row, e.column) for e in errors] == [(2, "辖区镇街")]
    assert "不属于区县 330282" in errors[0].reason
    assert not await Station.exists().where(Station.code == "PS1")


async def test_stations_are_imported_with_their_towns(db):
    await load_slice()
    data = "code,name,district_code,towns\nPS9,白沙附海派出所,330282,330282005;330282108\n"
    await import_file("stations", "s.csv", data.encode(), False, None)
    towns = await StationTown.select(StationTown.town_code).where(StationTown.station_code == "PS9")
    assert sorted(t["town_code"] for t in towns) == ["330282005", "330282108"]


def test_the_cli_import_of_a_bad_file_exits_non_zero_and_lists_the_rows(migrated, tmp_path):
    asyncio.run(truncate_all())
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "330282,慈溪市,区县,,,\n330282777,某镇,镇街,330299,,\n330282,重复,区县,,,\n"
    )
    result = CliRunner().invoke(main, ["import", "regions", str(bad)])
    assert result.exit_code != 0
    assert "第 3 行" in result.output and "330299" in result.output
    assert "第 4 行" in result.output and "重复" in result.output
    assert Region.count().run_sync() == 0


def test_station_towns_may_be_separated_by_full_width_punctuation():
    from campaign.regions.rules import KnownRegion, validate_stations

    regions = {
        "330282": KnownRegion("district", None, "330282"),
        "330282005": KnownRegion("town", "330282", "330282"),
        "330282108": KnownRegion("town", "330282", "330282"),
    }
    cells = {
        "code": "PS1",
        "name": "联合派出所",
        "district_code": "330282",
        "towns": "330282005\uff1b330282108",
    }
    records, errors = validate_stations([(2, cells)], regions)
    assert errors == [] and records[0].towns == ("330282005", "330282108")
