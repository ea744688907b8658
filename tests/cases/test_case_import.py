"""Importing the platform's case exports: every bad row named, nothing half-imported, idempotent."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3

import pytest
from openpyxl import Workbook

from campaign.accounts.tables import AuditEntry
from campaign.cases import day_index
from campaign.cases.imports import import_file
from campaign.cases.tables import Case, CaseDay, CaseUnit
from campaign.db import write_transaction
from campaign.importing import ImportRejected
from campaign.regions.tables import Region, Station
from campaign.system import queries as system
from campaign.timeutil import today
from tests.helpers.cases import GOOD, HEADER, YESTERDAY
from tests.helpers.streaks import add_cases


async def run(
    body: str, dry_run: bool = False, encoding: str = "utf-8", header: str = HEADER, **options
):
    return await import_file(
        "cases",
        "cases.csv",
        (header + body).encode(encoding),
        dry_run=dry_run,
        actor=None,
        **options,
    )


@pytest.fixture(params=["in a thread", "in a child process"])
def checked(request, monkeypatch):
    """The check of a file in a thread, or in a child process as for a large file."""
    from campaign.cases import imports

    if request.param == "in a child process":
        monkeypatch.setattr(imports, "CHECK_IN_PROCESS_ABOVE", 0)
    return request.param


async def rejected(body: str, **kwargs) -> list:
    with pytest.raises(ImportRejected) as caught:
        await run(body, **kwargs)
    assert await Case.count() == 0
    return caught.value.errors


async def last(code: str):
    return (await Region.select(Region.last_case_on).where(Region.code == code).first())[
        "last_case_on"
    ]


async def test_good_file_stores_cases_with_derived_places_and_canonical_types(ningbo):
    summary = await run(GOOD)
    assert len(summary.added) == 3
    first = await Case.select().where(Case.case_no == "C001").first()
    assert first["fraud_type"] == "兼职刷单" and first["loss_fen"] == 120050
    assert (first["town_code"], first["district_code"]) == ("330282005", "330282")
    assert first["victim_occupation"] == "在校大学生" and first["occupation_group"] == "学生"
    town_case = await Case.select().where(Case.case_no == "C002").first()
    assert town_case["village_code"] is None and town_case["station_code"] == "PS330282108"
    derived = await Case.select().where(Case.case_no == "C003").first()
    assert derived["station_code"] == "PS330206002"
    day = today() - dt.timedelta(days=1)
    assert await last("330282005002") == await last("330282108") == day
    station = await Station.select(Station.last_case_on).where(Station.code == "PS330206002")
    assert station[0]["last_case_on"] == day


async def test_reimporting_the_same_file_changes_nothing(ningbo):
    await run(GOOD)
    again = await run(GOOD)
    assert (again.added, again.changed, again.unchanged) == ([], [], 3)
    assert await AuditEntry.count().where(AuditEntry.action == "cases.import") == 1


async def test_changed_row_updates_the_case_and_refreshes_old_and_new_village(ningbo):
    await run(GOOD)
    moved = GOOD.replace("330282005002,PS330282005", "330282005206,PS330282005")
    summary = await run(moved)
    assert summary.changed == ["C001"]
    assert summary.changes["C001"] == [("village_code", "330282005002", "330282005206")]
    assert await last("330282005002") is None
    assert await last("330282005206") == today() - dt.timedelta(days=1)


async def test_dry_run_reports_what_would_change_and_writes_nothing(ningbo):
    summary = await run(GOOD, dry_run=True)
    assert len(summary.added) == 3 and await Case.count() == 0
    assert await last("330282005002") is None


async def test_unknown_region_and_station_codes_are_named(ningbo):
    errors = await rejected(
        f"X1,{YESTERDAY},330282999999,,投资理财,1,,\nX2,{YESTERDAY},330282005002,PS9,投资理财,1,,\n"
    )
    assert [(e.row, e.column) for e in errors] == [(2, "区划代码"), (3, "派出所编码")]
    assert "330282999999" in errors[0].reason and "PS9" in errors[1].reason


async def test_village_outside_the_given_stations_jurisdiction_is_refused(ningbo):
    errors = await rejected(f"X1,{YESTERDAY},330206002001,PS330282005,投资理财,1,,\n")
    assert (
        errors[0].column == "派出所编码" and "不在派出所 PS330282005 的辖区内" in errors[0].reason
    )


async def test_village_assigned_to_another_station_is_refused_for_its_towns_station(ningbo):
    await Region.update({Region.station_code: "PS330282108"}).where(Region.code == "330282005206")
    errors = await rejected(f"X1,{YESTERDAY},330282005206,PS330282005,投资理财,1,,\n")
    assert errors[0].column == "派出所编码"
    await run(f"X1,{YESTERDAY},330282005206,,投资理财,1,,\n")
    stored = await Case.select(Case.station_code).first()
    assert stored["station_code"] == "PS330282108"


async def test_dates_after_today_and_before_tracked_since_are_refused(ningbo):
    await system.set_setting("tracked_since", "2026-01-01")
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    errors = await rejected(
        f"X1,{tomorrow},330282005002,,投资理财,1,,\nX2,2025-12-31,330282005002,,投资理财,1,,\n"
        "X3,someday,330282005002,,投资理财,1,,\n"
    )
    assert [e.row for e in errors] == [2, 3, 4]
    assert "晚于今天" in errors[0].reason and "早于数据起始日 2026-01-01" in errors[1].reason
    assert "无法识别" in errors[2].reason


async def test_negative_and_non_numeric_losses_are_refused(ningbo):
    errors = await rejected(
        f"X1,{YESTERDAY},330282005002,,投资理财,-5,,\nX2,{YESTERDAY},330282005002,,投资理财,五百,,\n"
        f"X3,{YESTERDAY},330282005002,,投资理财,1.234,,\n"
    )
    assert [(e.row, e.column) for e in errors] == [
        (2, "损失金额"),
        (3, "损失金额"),
        (4, "损失金额"),
    ]


async def test_unknown_fraud_type_lists_the_valid_names(ningbo):
    errors = await rejected(f"X1,{YESTERDAY},330282005002,,外星人诈骗,1,,\n")
    assert "外星人诈骗" in errors[0].reason and "投资理财" in errors[0].reason


async def test_duplicate_case_numbers_name_both_rows(ningbo):
    errors = await rejected(
        f"D1,{YESTERDAY},330282005002,,投资理财,1,,\nD2,{YESTERDAY},330282005002,,投资理财,1,,\n"
        f"D1,{YESTERDAY},330282005206,,投资理财,1,,\n"
    )
    assert len(errors) == 1 and errors[0].row == 4 and "第 2 行和第 4 行" in errors[0].reason


async def test_duplicates_across_chunks_are_named_and_counts_stay_whole(
    ningbo, monkeypatch, checked
):
    from campaign.cases import imports

    monkeypatch.setattr(imports, "CHECK_CHUNK", 2)
    monkeypatch.setattr(imports, "KEPT_NUMBERS", 2)
    rows = "".join(f"K{i},{YESTERDAY},330282005002,,投资理财,1,,\n" for i in range(5))
    errors = await rejected(rows + f"K1,{YESTERDAY},330282005002,,投资理财,1,,\n")
    assert [(e.row, e.column) for e in errors] == [(7, "案件编号")]
    assert "第 3 行和第 7 行" in errors[0].reason
    gapped = rows.replace("\nK1", "\n,,,,,,,\nK1")  # a blank line: rows 2, 4, 5, 6, 7
    errors = await rejected(gapped + f"K1,{YESTERDAY},330282005002,,投资理财,1,,\n")
    assert [e.row for e in errors] == [8] and "第 4 行和第 8 行" in errors[0].reason
    summary = await run(rows)
    assert summary.added == ["K0", "K1"] and summary.counts() == (5, 0, 0)
    assert "新增 5 条" in summary.describe() and await Case.count() == 5


@pytest.mark.parametrize("write_while_checking", [False, True])
async def test_a_problem_in_a_later_chunk_leaves_nothing_written(
    ningbo, monkeypatch, checked, write_while_checking
):
    """PostgreSQL (and SQLite for the CLI) writes each chunk as soon as it is checked: a later
    chunk's problem rolls back the chunks already written, their case days and last case days
    with them."""
    from campaign.cases import imports

    monkeypatch.setattr(imports, "CHECK_CHUNK", 2)
    rows = "".join(f"L{i},{YESTERDAY},330282005002,,投资理财,1,,\n" for i in range(5))
    errors = await rejected(
        rows + f"L9,{YESTERDAY},330282005999,,投资理财,1,,\n",
        write_while_checking=write_while_checking,
    )
    assert [(e.row, e.column) for e in errors] == [(7, "区划代码")]
    assert await CaseDay.count() == 0 and await CaseUnit.count() == 0
    assert await last("330282005002") is None
    assert not await AuditEntry.exists().where(AuditEntry.action == "cases.import")


@pytest.mark.parametrize("write_while_checking", [False, True])
async def test_a_file_checked_in_a_child_process_is_written_as_in_a_thread(
    ningbo, monkeypatch, write_while_checking
):
    from campaign.cases import imports

    monkeypatch.setattr(imports, "CHECK_CHUNK", 2)
    monkeypatch.setattr(imports, "CHECK_IN_PROCESS_ABOVE", 0)
    summary = await run(GOOD, write_while_checking=write_while_checking)
    assert summary.counts() == (3, 0, 0) and await Case.count() == 3
    index = CaseDay.select(CaseDay.level, CaseDay.code, CaseDay.day, CaseDay.cases).order_by(
        CaseDay.level, CaseDay.code, CaseDay.day
    )
    days = await index
    assert len(days) == 8  # two villages (one case is town-coded), three towns and stations
    again = await run(GOOD.replace("教师,45", "教师,46"), write_while_checking=write_while_checking)
    assert again.counts() == (0, 1, 2)
    assert await index == days


async def test_a_first_import_stores_what_an_import_beside_stored_cases_does(
    ningbo, monkeypatch, checked
):
    """Into an empty table the checker builds the rows itself (nothing to compare with): they
    must be the rows the comparing path writes, and the case days counted from them (as for a
    large load: REBUILD_INDEXES_ABOVE) those grouped from the stored cases."""
    from campaign.cases import bulk, imports

    monkeypatch.setattr(imports, "CHECK_CHUNK", 2)
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_ABOVE", 0)

    def without_id(row: dict) -> dict:
        return {k: v for k, v in row.items() if k != "id"}

    kept = [c for c in Case._meta.columns if c._meta.name not in ("id", "created_at", "updated_at")]

    async def stored() -> list[dict]:
        return await Case.select(*kept).where(Case.case_no.like("C00%")).order_by(Case.case_no)

    assert (await run(GOOD)).counts() == (3, 0, 0)
    first = await stored()
    index = [
        await table.select().order_by(table.level, table.code) for table in (CaseDay, CaseUnit)
    ]
    async with write_transaction():  # the case days grouped from the stored cases instead
        for level in ("village", "town", "station"):
            await day_index.rebuild_units(level)
    rebuilt = [await t.select().order_by(t.level, t.code) for t in (CaseDay, CaseUnit)]
    assert [[without_id(r) for r in rows] for rows in rebuilt] == [
        [without_id(r) for r in rows] for rows in index
    ]
    await Case.delete(force=True)
    await run(f"Z1,{YESTERDAY},330282005206,,投资理财,1,,\n")
    assert (await run(GOOD)).counts() == (3, 0, 0)
    assert await stored() == first and len(first) == 3


async def test_an_unreadable_file_is_refused_alike_from_a_child_process(ningbo, monkeypatch):
    from campaign.cases import imports

    refusals = []
    for threshold in (10**9, 0):
        monkeypatch.setattr(imports, "CHECK_IN_PROCESS_ABOVE", threshold)
        with pytest.raises(ImportRejected) as caught:
            await import_file("cases", "cases.xlsx", b"PK\x03\x04 no workbook", False, None)
        refusals.append([(e.row, e.column, e.reason) for e in caught.value.errors])
    assert refusals[0] == refusals[1] and refusals[0]
    assert await Case.count() == 0


async def test_a_bulk_write_puts_the_connection_settings_back(ningbo, monkeypatch):
    """SQLite: a bulk write raises the page cache and turns off the commit's checkpoint for
    its transaction only; the pooled connection gets its settings back when released."""
    from campaign import jobs
    from campaign.cases import bulk
    from campaign.db import close_pool, engine, is_sqlite, start_pool

    if not is_sqlite():
        pytest.skip("SQLite connection settings")
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_ABOVE", 1)
    await start_pool()
    try:
        before = await _settings(engine().idle)
        await run(GOOD)
        await jobs.drain()  # the follow-up jobs hold pooled connections while they run
        assert engine().idle and await _settings(engine().idle) == before
        assert before["wal_autocheckpoint"] == engine().POOLED_AUTOCHECKPOINT
    finally:
        await close_pool()


@pytest.mark.parametrize("alone", [True, False])
async def test_a_first_load_from_the_command_line_skips_the_log_only_when_alone(
    ningbo, monkeypatch, alone
):
    """SQLite: a first load that rebuilds the indexes, written while checking (the command
    line), goes through a rollback journal synced in full — its pages are written once, not into
    the log and again into the file — when no other connection has the database open; WAL comes
    back after. With another connection open (a running server) it is written under WAL."""
    from campaign import jobs
    from campaign.cases import bulk
    from campaign.db import close_pool, engine, is_sqlite, start_pool
    from campaign.settings import get_settings

    if not is_sqlite():
        pytest.skip("SQLite journal modes")
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_ABOVE", 1)
    seen = []
    finish = bulk.BulkWrite.finish

    async def noting_the_journal(self, spill):
        for name in ("journal_mode", "synchronous"):
            seen.append(
                next(iter((await self.connection.execute_fetchall(f"PRAGMA {name}"))[0].values()))
            )
        await finish(self, spill)

    monkeypatch.setattr(bulk.BulkWrite, "finish", noting_the_journal)
    server = None if alone else sqlite3.connect(get_settings().sqlite_path)
    await start_pool()  # as the command line runs
    try:
        if server:
            server.execute("SELECT 1 FROM region").fetchall()
        summary = await run(GOOD, write_while_checking=True)
        assert engine().checkpointer is not None  # the pool and its checkpoint are back
        await jobs.drain()
    finally:
        await close_pool()
        if server:
            server.close()
    assert summary.counts() == (3, 0, 0) and await Case.count() == 3
    assert seen == (["delete", 2] if alone else ["wal", 1])
    with sqlite3.connect(get_settings().sqlite_path) as after:
        assert after.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def _settings(connections) -> dict:
    """The settings of a pooled connection (a new one when none is idle); all idle ones agree."""
    from campaign.db import engine

    if not connections:
        connection = await engine().get_connection()
        await connection.close()
    found = []
    for connection in connections:
        values = {}
        for name in ("cache_size", "threads", "wal_autocheckpoint"):
            row = (await connection.execute_fetchall(f"PRAGMA {name}"))[0]
            values[name] = next(iter(row.values()))
        found.append(values)
    assert all(values == found[0] for values in found)
    return found[0]


async def test_ages_outside_0_to_120_are_refused(ningbo):
    errors = await rejected(
        f"A1,{YESTERDAY},330282005002,,投资理财,1,,121\nA2,{YESTERDAY},330282005002,,投资理财,1,,-1\n"
        f"A3,{YESTERDAY},330282005002,,投资理财,1,,二十\n"
    )
    assert [(e.row, e.column) for e in errors] == [
        (2, "受害人年龄"),
        (3, "受害人年龄"),
        (4, "受害人年龄"),
    ]


async def test_every_problem_of_a_row_is_listed(ningbo):
    errors = await rejected("B1,tomorrow,1,PSX,不存在,-1,,200\n")
    assert {e.column for e in errors} == {
        "发案时间",
        "区划代码",
        "派出所编码",
        "诈骗类型",
        "损失金额",
        "受害人年龄",
    }


async def test_hundred_thousand_rows_with_one_bad_row_imports_nothing_and_names_it(ningbo):
    lines = [
        f"N{i:06d},{YESTERDAY},330282005002,,投资理财,{i % 900}.5,学生,{18 + i % 60}"
        for i in range(100_000)
    ]
    lines[73_210] = lines[73_210].replace("330282005002", "330282005999")
    errors = await rejected("\n".join(lines) + "\n")
    assert [(e.row, e.column) for e in errors] == [(73_212, "区划代码")]


async def test_gb18030_csv_with_english_headers_is_read(ningbo):
    header = "case_no,occurred_at,region_code,station_code,fraud_type,loss_yuan,victim_occupation,victim_age\n"
    summary = await run(
        f"G1,{YESTERDAY},330282005002,,冒充亲友,88,医生,60\n", encoding="gb18030", header=header
    )
    assert summary.added == ["G1"]
    stored = await Case.select().first()
    assert stored["fraud_type"] == "冒充亲友" and stored["occupation_group"] == "医务人员"


async def test_xlsx_with_excel_date_serials_and_datetimes(ningbo):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    serial = (today() - dt.timedelta(days=3) - dt.date(1899, 12, 30)).days
    sheet.append(["E1", serial + 0.75, "330282005002", None, "贷款", 1500.1, "护士", 33])
    sheet.append(
        ["E2", dt.datetime.now() - dt.timedelta(days=2), 330282108201, None, "贷款", 3, None, None]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    summary = await import_file("cases", "cases.xlsx", buffer.getvalue(), False, None)
    assert summary.added == ["E1", "E2"]
    e1 = await Case.select().where(Case.case_no == "E1").first()
    assert e1["occurred_on"] == today() - dt.timedelta(days=3) and e1["loss_fen"] == 150010
    assert e1["occurred_at"].astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 18
    e2 = await Case.select().where(Case.case_no == "E2").first()
    assert e2["village_code"] == "330282108201"


async def test_cli_imports_cases_and_exits_non_zero_on_a_bad_file(ningbo, tmp_path):
    from click.testing import CliRunner

    from campaign.cli import main

    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD.replace("330206002001", "330206002999"), encoding="utf-8")
    runner = CliRunner()
    result = await _in_thread(runner.invoke, main, ["import", "cases", str(bad)])
    assert result.exit_code == 1 and "第 4 行" in result.output
    result = await _in_thread(runner.invoke, main, ["import", "cases", str(good), "--dry-run"])
    assert result.exit_code == 0 and "新增 3 条" in result.output


async def _in_thread(function, *args):
    import asyncio

    return await asyncio.to_thread(function, *args)


# -- The upload page -------------------------------------------------------------------------


async def upload(client, body: str, dry_run: bool = True, name: str = "cases.csv"):
    from tests.helpers.web import csrf_token

    if not csrf_token(client):
        await client.get("/login")
    return await client.post(
        "/cases/import",
        data={"dry_run": "1" if dry_run else "", "_csrf_token": csrf_token(client)},
        files={"file": (name, (HEADER + body).encode("utf-8"), "text/csv")},
    )


async def test_upload_preview_shows_added_and_changed_then_confirm_imports(
    client, ningbo, make_user
):
    from tests.helpers.web import login, post_form

    await make_user("admin")
    await login(client, "admin")
    await run(GOOD.splitlines()[0].replace('"1,200.50"', "99") + "\n")
    preview = await upload(client, GOOD)
    assert preview.status_code == 200 and 'data-result="dry-run"' in preview.text
    assert 'data-summary="added">2<' in preview.text and 'data-summary="changed">1<' in preview.text
    assert 'data-change="C001"' in preview.text and "损失(元)" in preview.text
    assert await Case.count() == 1
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    done = await post_form(
        client, "/cases/import/confirm", {"token": token, "filename": "cases.csv"}
    )
    assert 'data-result="imported"' in done.text and await Case.count() == 3
    again = await post_form(
        client, "/cases/import/confirm", {"token": token, "filename": "cases.csv"}
    )
    assert again.status_code == 400  # a confirmed file cannot be imported twice by replay


async def test_upload_of_a_bad_file_lists_every_rejected_row(client, ningbo, make_user):
    from tests.helpers.web import login

    await make_user("admin")
    await login(client, "admin")
    response = await upload(client, GOOD.replace("330206002001", "330206002999"), dry_run=False)
    assert response.status_code == 400 and 'data-result="rejected"' in response.text
    assert 'data-error-row="4"' in response.text and await Case.count() == 0


async def test_a_large_file_runs_as_a_job_with_progress_until_done(
    client, ningbo, make_user, monkeypatch, checked
):
    import asyncio

    from campaign.cases import import_controller
    from tests.helpers.web import login

    monkeypatch.setattr(import_controller, "JOB_ROWS", 2)
    await make_user("admin")
    await login(client, "admin")
    response = await upload(client, GOOD, dry_run=False)
    assert response.status_code == 302
    job_url = response.headers["location"]
    assert job_url.startswith("/cases/import/jobs/")
    for _ in range(100):
        fragment = await client.get(job_url, headers={"HX-Request": "true"})
        if 'data-status="done"' in fragment.text:
            break
        assert 'hx-trigger="every 1s"' in fragment.text
        await asyncio.sleep(0.05)
    assert 'data-result="imported"' in fragment.text and await Case.count() == 3
    page = await client.get(job_url)
    assert 'data-summary="added">3<' in page.text


async def test_only_administrators_import(client, ningbo, make_user):
    from tests.helpers.web import login

    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    assert (await client.get("/cases/import")).status_code == 403


async def test_a_bulk_load_rebuilds_the_indexes_it_dropped(ningbo, monkeypatch):
    """The case table's secondary indexes, and the case days' indexes and primary key (a level
    rewritten whole), are back after the load."""
    from campaign.cases import bulk, day_index
    from campaign.db import engine, is_sqlite

    async def index_names(table: str) -> set[str]:
        if is_sqlite():
            rows = await engine().run_ddl(
                f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}'"
            )
            return {r["name"] for r in rows}
        rows = await engine().run_ddl(
            f"SELECT indexname FROM pg_indexes WHERE tablename = '{table}'"
        )
        return {r["indexname"] for r in rows}

    before = {table: await index_names(table) for table in ("case", "case_day")}
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_ABOVE", 1)
    monkeypatch.setattr(day_index, "REBUILD_LEVEL_ABOVE", 0)
    await run(GOOD)
    assert {table: await index_names(table) for table in before} == before
    assert "case_town_day" in before["case"] and "case_day_gap" in before["case_day"]
    assert is_sqlite() or "case_day_pkey" in before["case_day"]
    assert await last("330282005002") == today() - dt.timedelta(days=1)
    # the ids the load gave its case days are not given again (PostgreSQL numbers them itself)
    ids = [r["id"] for r in await CaseDay.select(CaseDay.id)]
    await add_cases([(place, today() - dt.timedelta(days=3)) for place in range(3)], "LATER")
    after = [r["id"] for r in await CaseDay.select(CaseDay.id)]
    assert len(set(after)) == len(after) > len(ids)


async def test_bulk_written_cases_carry_the_demo_flag_and_the_time_of_the_write(ningbo):
    """The flag and the times are not in a bulk write's rows: constants of SQLite's INSERT, the
    table's defaults for PostgreSQL's COPY (demo data adds the flag). Read back alike."""
    from campaign.cases import queries, rules

    began = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    await run(GOOD)
    imported = await Case.select().where(Case.case_no == "C001").first()
    demo = rules.CaseRecord(2, "D001", *(imported[f] for f in rules.CASE_FIELDS[1:]), None, None)
    async with write_transaction() as transaction:
        await queries.write_import(
            transaction.connection, queries.ImportPlan(added=[demo]), is_demo=True
        )
    stored = await Case.select().where(Case.case_no == "D001").first()
    assert (imported["is_demo"], stored["is_demo"]) == (False, True)
    for case in (imported, stored):
        assert began <= case["created_at"] == case["updated_at"] <= dt.datetime.now(dt.UTC)
    assert [stored[f] for f in rules.CASE_FIELDS[1:]] == [
        imported[f] for f in rules.CASE_FIELDS[1:]
    ]


@pytest.mark.parametrize("phones", [False, True], ids=["file without phones", "with phones"])
async def test_a_bulk_load_keeps_the_phone_and_stamp_indexes_while_it_can(
    ningbo, monkeypatch, phones
):
    """Only cases with a victim phone enter case_phone_day: a load whose rows carry none keeps
    it (nothing to add, where building it after reads every case); one with phones drops it
    before the first such row and builds it after, with them in it. case_updated_at is kept
    throughout."""
    from campaign.cases import bulk, imports, queries

    dropped: list[str] = []
    drop = bulk._drop_secondary_indexes

    async def noted(*args, **kwargs) -> list[str]:
        statements = await drop(*args, **kwargs)
        dropped.extend(statements)
        return statements

    monkeypatch.setattr(bulk, "_drop_secondary_indexes", noted)
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_ABOVE", 1)
    monkeypatch.setattr(imports, "CHECK_CHUNK", 1)  # a chunk a row: the first one without
    body = GOOD.replace("\n", ",\n")
    if phones:  # the second row of three carries one
        body = body.replace("50000,,,", "50000,,,13800000009")
    started = dt.datetime.now(dt.UTC)
    await run(body, header=HEADER.replace("\n", ",受害人电话\n"), write_while_checking=True)
    assert any("case_town_day" in s for s in dropped)  # a bulk load: the indexes rebuilt
    assert any("case_phone_day" in s for s in dropped) == phones
    # the stamp index is kept (every row of the load goes in at its end) and finds the load
    assert not any("case_updated_at" in s for s in dropped)
    written = await queries.cases_written_since(started, 1)
    assert sorted(c.case_no for c in written) == ["C001", "C002"]  # C003 lost nothing
    found = await queries.victim_phones_since(today() - dt.timedelta(days=3))
    assert [p.case_no for p in found] == (["C002"] if phones else [])
