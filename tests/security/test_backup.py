"""`campaign backup` → `campaign restore` reproduces the database and the media files, on
SQLite (online backup API) and on PostgreSQL (pg_dump / pg_restore) — run this file with
TEST_DATABASE_URL set for the PostgreSQL round trip."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from click.testing import CliRunner
from piccolo.apps.user.tables import BaseUser

from campaign.backup import BackupError, backup, restore
from campaign.cli import main
from campaign.db import is_sqlite
from campaign.settings import get_settings
from tests.helpers.ningbo import load_slice


async def test_backup_then_restore_round_trip(db, make_user, tmp_path):
    from campaign.regions.tables import Region

    await load_slice()
    await make_user("keeper", "admin")
    media = get_settings().media_root
    (media / "materials").mkdir(parents=True, exist_ok=True)
    (media / "materials" / "poster.jpg").write_bytes(b"\xff\xd8 poster bytes")
    regions = await Region.count()

    manifest = await asyncio.to_thread(backup, tmp_path / "b")
    assert manifest["engine"] == ("sqlite" if is_sqlite() else "postgresql")
    assert manifest["media"]["files"] >= 1

    await BaseUser.delete().where(BaseUser.username == "keeper")
    await Region.delete(force=True)
    shutil.rmtree(media / "materials")
    (media / "stray.txt").write_text("made after the backup")

    await asyncio.to_thread(restore, tmp_path / "b")
    assert await BaseUser.exists().where(BaseUser.username == "keeper")
    assert await Region.count() == regions
    assert (media / "materials" / "poster.jpg").read_bytes() == b"\xff\xd8 poster bytes"
    assert not (media / "stray.txt").exists()


def test_backup_refuses_a_non_empty_folder_and_restore_a_non_backup(migrated, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(BackupError):
        backup(tmp_path / "full")
    with pytest.raises(BackupError):
        restore(tmp_path / "full")


def test_cli_commands(migrated, tmp_path):
    runner = CliRunner()
    made = runner.invoke(main, ["backup", str(tmp_path / "cli")])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "cli" / "manifest.json").exists()
    back = runner.invoke(main, ["restore", str(tmp_path / "cli"), "--yes"])
    assert back.exit_code == 0, back.output
