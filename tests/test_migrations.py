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
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import AppConfig, Finder

from campaign.piccolo_conf import APP_REGISTRY

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
    assert sum("'streaks'" in row for row in after["migration"]) == len(MOVED_MIGRATIONS)
    assert len(after["migration"]) == len(before["migration"])
