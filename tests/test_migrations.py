"""Committed migrations and tables.py agree, and `campaign migrate` builds an empty database in one
go and changes nothing the second time."""

from __future__ import annotations

import asyncio
import importlib
import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import AppConfig, Finder

from campaign.piccolo_conf import APP_REGISTRY

#: Columns a later migration drops on purpose (never read): table → columns.
DROPPED_ON_PURPOSE = {"team": {"points"}}  # volunteers 2026-11-30: its board rows carry them
PROJECT_APPS = [path for path in APP_REGISTRY.apps if path.startswith("campaign.")]


def app_config(module_path: str) -> AppConfig:
    return importlib.import_module(module_path).APP_CONFIG


@pytest.mark.parametrize("module_path", PROJECT_APPS)
async def test_tables_and_committed_migrations_agree(module_path):
    """Fails when a table changed without `piccolo migrations new <app> --auto`."""
    config = app_config(module_path)
    alter = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=config)
    statements = list(chain.from_iterable(group.statements for group in alter))
    assert statements == [], (
        f"{config.app_name}: tables.py differs from its migrations; run "
        f"`piccolo migrations new {config.app_name} --auto` and commit the file:\n"
        + "\n".join(statements)
    )


async def test_drift_check_notices_a_column_missing_from_the_migrations():
    """The check above is not vacuous: Setting plus one column yields exactly that add_column."""
    from piccolo.columns import Integer
    from piccolo.table import Table

    from campaign.system.tables import Setting

    columns = {column._meta.name: column.copy() for column in Setting._meta.non_default_columns}
    changed = type(
        "Setting", (Table,), {**columns, "version": Integer(default=0)}, tablename="setting"
    )
    system = app_config("campaign.system.piccolo_app")
    alter = await AutoMigrationManager(auto_input="n").get_alter_statements(
        app_config=AppConfig(
            app_name=system.app_name,
            migrations_folder_path=system.migrations_folder_path,
            table_classes=[changed],
        )
    )
    statements = [s for group in alter for s in group.statements]
    assert len(statements) == 1 and "column_name='version'" in statements[0]


def test_every_domain_folder_with_tables_is_a_registered_app():
    root = Path(__file__).resolve().parent.parent / "campaign"
    with_tables = {
        f"campaign.{folder.name}.piccolo_app"
        for folder in root.iterdir()
        if (folder / "tables.py").exists()
    }
    assert with_tables <= set(PROJECT_APPS)


# -- `campaign migrate` on an empty database -----------------------------------------------------


def expected_tables() -> set[str]:
    return {table._meta.tablename for table in Finder().get_table_classes()} | {"migration"}


def run_migrate(database_url: str, var: Path) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "CAMPAIGN_VAR": str(var)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "campaign"), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def sqlite_contents(path: Path) -> dict[str, list]:
    with sqlite3.connect(path) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {name: sorted(map(repr, db.execute(f'SELECT * FROM "{name}"'))) for name in names}


async def postgres_contents(url: str) -> dict[str, list]:
    import asyncpg

    db = await asyncpg.connect(url)
    try:
        names = [
            row["table_name"]
            for row in await db.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        return {
            name: sorted(repr(tuple(row)) for row in await db.fetch(f'SELECT * FROM "{name}"'))
            for name in names
        }
    finally:
        await db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[tuple[str, object]]:
    """A URL to a database with nothing in it, and a function returning its tables and rows."""
    if request.param == "sqlite":
        path = tmp_path / "empty.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite_contents(path)
        return
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgres"):
        pytest.skip("PostgreSQL runs only when TEST_DATABASE_URL points at it")
    import asyncpg

    name = f"migrate_{uuid.uuid4().hex[:12]}"
    base, _, _ = server.rpartition("/")

    async def admin(sql: str) -> None:
        db = await asyncpg.connect(server)
        try:
            await db.execute(sql)
        finally:
            await db.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = f"{base}/{name}"
    try:
        yield url, lambda: asyncio.run(postgres_contents(url))
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}"'))


def test_migrate_creates_every_table_and_a_second_run_changes_nothing(empty_database, tmp_path):
    url, contents = empty_database
    run_migrate(url, tmp_path)
    first = contents()
    assert expected_tables() <= set(first)
    run_migrate(url, tmp_path)
    assert contents() == first


def run_sql(url: str, statements: list[str]) -> None:
    """Run statements on the database behind `url` (SQLite file or PostgreSQL)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            for statement in statements:
                db.execute(statement)
        return
    import asyncpg

    async def go() -> None:
        db = await asyncpg.connect(url)
        try:
            for statement in statements:
                await db.execute(statement)
        finally:
            await db.close()

    asyncio.run(go())


def test_a_database_migrated_before_the_streaks_split_upgrades_and_keeps_its_rows(
    empty_database, tmp_path
):
    """The streak tables were created by the `contests` app before streaks became their own app:
    such a database records those migrations under `contests`. `campaign migrate` hands them
    over to `streaks` instead of creating the tables again, and no row is lost."""
    from campaign.bootstrap import MOVED_MIGRATIONS

    url, contents = empty_database
    run_migrate(url, tmp_path)
    moved = ", ".join(f"'{migration_id}'" for migration_id, _, _ in MOVED_MIGRATIONS)
    run_sql(
        url,
        [
            f"UPDATE migration SET app_name = 'contests' WHERE name IN ({moved})",
            "INSERT INTO streak_best (level, code, days, tracked_since) "
            "VALUES ('town', '330203001', 12, '2026-01-01')",
        ],
    )
    before = contents()
    assert sum("'contests'" in row for row in before["migration"]) == 1 + len(MOVED_MIGRATIONS)
    run_migrate(url, tmp_path)
    after = contents()
    assert after["streak_best"] == before["streak_best"] and len(after["streak_best"]) == 1
    relabelled = [
        row for row in after["migration"] for m, _, _ in MOVED_MIGRATIONS if f"'{m}'" in row
    ]
    assert len(relabelled) == len(MOVED_MIGRATIONS)
    assert all("'streaks'" in row for row in relabelled)
    assert len(after["migration"]) == len(before["migration"])


# -- Forward from the first schema, with data in it ----------------------------------------------

#: Run in a fresh process (its own DATABASE_URL): every app up to its FIRST migration only.
FIRST_SCHEMA = """
import asyncio
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.conf.apps import Finder

async def main():
    finder = Finder()
    for name in finder.get_sorted_app_names():
        config = finder.get_app_config(name)
        modules = BaseMigrationManager().get_migration_modules(config.migrations_folder_path)
        first = sorted(modules)[0]
        response = await run_forwards(app_name=name, migration_id=first, fake=False)
        assert response.success, response.message

asyncio.run(main())
"""

#: Cases stored before `case_day` existed: the migration that adds it must derive their days.
OLD_CASES = [
    {"case_no": f"OLD{i}", "occurred_on": day, "village_code": "330282005002",
     "town_code": "330282005", "district_code": "330282", "station_code": "PS330282005"}
    for i, day in enumerate(["2026-03-01", "2026-03-01", "2026-03-09"])
]  # fmt: skip


def sample_value(sql_type: str, postgres: bool) -> str:
    """A literal of the column's type, the same on both engines once read back."""
    t = sql_type.lower()
    if t.startswith("_") or "[]" in t or t == "array":
        return "'{}'"
    if any(k in t for k in ("int", "serial")):
        return "1"
    if any(k in t for k in ("numeric", "decimal", "real", "double", "float")):
        return "1.5"
    if "bool" in t:
        return "true" if postgres else "1"
    if "timestamp" in t:
        return "'2026-01-02 03:04:05+00:00'" if postgres else "'2026-01-02 03:04:05'"
    if t == "date":
        return "'2026-01-02'"
    if t.startswith("time"):
        return "'03:04:05'"
    if "json" in t:
        return "'{}'"
    if t == "uuid":
        return "'00000000-0000-0000-0000-000000000001'"
    if t == "interval":
        return "'1 day'"
    return "'x'"


def columns_of(url: str) -> dict[str, dict[str, str]]:
    """table → column → declared type, for every table the database holds."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            names = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {n: {c[1]: c[2] for c in db.execute(f'PRAGMA table_info("{n}")')} for n in names}
    import asyncpg

    async def go() -> dict[str, dict[str, str]]:
        db = await asyncpg.connect(url)
        try:
            rows = await db.fetch(
                "SELECT table_name, column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
        finally:
            await db.close()
        tables: dict[str, dict[str, str]] = {}
        for row in rows:
            tables.setdefault(row["table_name"], {})[row["column_name"]] = row["udt_name"]
        return tables

    return asyncio.run(go())


def fill_every_table(url: str) -> None:
    """One row in every table (OLD_CASES in `case`), foreign keys unchecked: every later
    migration then runs over data, as it would on a live database."""
    postgres = not url.startswith("sqlite")
    statements = ["SET session_replication_role = replica"] if postgres else []
    for table, columns in columns_of(url).items():
        if table == "migration":
            continue
        samples = {c: sample_value(t, postgres) for c, t in columns.items() if c != "id"}
        rows = [{**samples, **{k: f"'{v}'" for k, v in case.items()}} for case in OLD_CASES]
        for row in rows if table == "case" else [samples]:
            names = ", ".join(f'"{c}"' for c in row)
            statements.append(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(row.values())})')
    run_sql(url, statements)


def test_every_migration_runs_forward_over_data_stored_in_the_first_schema(
    empty_database, tmp_path
):
    """The oldest schema (each app at its first migration) with a row in every table, then
    `campaign migrate`: no migration fails on existing rows, no stored value is lost or changed
    (the reference lists may add rows), and the
    data migration that came later (case days) derives its rows from the cases stored before."""
    url, contents = empty_database
    env = {**os.environ, "DATABASE_URL": url, "CAMPAIGN_VAR": str(tmp_path)}
    first = subprocess.run(
        [sys.executable, "-c", FIRST_SCHEMA], env=env, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stdout + first.stderr
    old_tables = columns_of(url)
    assert "case" in old_tables and "case_day" not in old_tables  # really the oldest schema
    fill_every_table(url)

    def rows(table: str, columns: list[str]) -> list[str]:
        names = ", ".join(f'"{c}"' for c in columns)
        return sorted(map(repr, query(url, f'SELECT {names} FROM "{table}"')))

    tables = [t for t in old_tables if t != "migration"]
    kept = {t: sorted(set(old_tables[t]) - DROPPED_ON_PURPOSE.get(t, set())) for t in tables}
    before = {t: rows(t, kept[t]) for t in tables}

    run_migrate(url, tmp_path)

    new_tables = columns_of(url)
    assert expected_tables() <= set(new_tables)
    for table in tables:
        dropped = set(old_tables[table]) - set(new_tables[table])
        assert dropped <= DROPPED_ON_PURPOSE.get(table, set()), f"{table}: {dropped} dropped"
        lost = Counter(before[table]) - Counter(rows(table, kept[table]))
        assert not lost, f"{table}: rows lost or changed (seeding may add rows): {lost}"
    days = query(
        url,
        "SELECT level, code, CAST(day AS TEXT), cases, gap FROM case_day "
        "WHERE level = 'village' ORDER BY day",
    )
    # 1 March with two cases, then 9 March: seven days without a case in between
    assert days == [
        ("village", "330282005002", "2026-03-01", 2, None),
        ("village", "330282005002", "2026-03-09", 1, 7),
    ]


def query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return [tuple(row) for row in db.execute(sql)]
    import asyncpg

    async def go() -> list[tuple]:
        db = await asyncpg.connect(url)
        try:
            return [tuple(row) for row in await db.fetch(sql)]
        finally:
            await db.close()

    return asyncio.run(go())
