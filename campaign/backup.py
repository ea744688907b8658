"""`campaign backup DIR` and `campaign restore DIR`: the database and the media files.

SQLite is copied with its online backup API (consistent while the app keeps running);
PostgreSQL with `pg_dump --format=custom` and put back with `pg_restore --clean`. Media files
under MEDIA_ROOT are copied beside it. With object storage (S3) the files live in the bucket:
protect them with the bucket's versioning; the backup then holds the database only and says so.

A backup folder holds `manifest.json`, `database.sqlite3` or `database.pgdump`, and `media/`.
Restore while the app and the worker are stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from campaign.settings import get_settings

MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (in Chinese)."""


def _pg_env() -> dict[str, str]:
    return {**os.environ, "PGCONNECT_TIMEOUT": "10"}


def _media_in_files() -> bool:
    return not get_settings().s3_bucket


def backup(target: Path) -> dict:
    """Write a backup into `target` (created; must be empty). Returns the manifest."""
    settings = get_settings()
    target = target.resolve()
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"目标目录 {target} 不是空的")
    target.mkdir(parents=True, exist_ok=True)
    manifest: dict = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": "sqlite" if settings.is_sqlite else "postgresql",
    }
    if settings.is_sqlite:
        database = target / "database.sqlite3"
        source = sqlite3.connect(settings.sqlite_path)
        copy = sqlite3.connect(database)
        with copy:
            source.backup(copy)
        copy.close()
        source.close()
    else:
        database = target / "database.pgdump"
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={database}",
                f"--dbname={settings.database_url}",
            ]
        )
    manifest["database"] = {"file": database.name, "bytes": database.stat().st_size}
    media = settings.media_root
    if _media_in_files():
        if media.exists():
            shutil.copytree(media, target / "media")
        else:
            (target / "media").mkdir()
        files = [p for p in (target / "media").rglob("*") if p.is_file()]
        manifest["media"] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}
    else:
        manifest["media"] = {"in_object_storage": True}
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def restore(source: Path) -> dict:
    """Replace the database and the media files with those of a backup folder."""
    settings = get_settings()
    source = source.resolve()
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} 不是备份目录(缺少 {MANIFEST})") from None
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.get("engine") != engine:
        raise BackupError(f"备份来自 {manifest.get('engine')},当前数据库是 {engine}")
    database = source / manifest["database"]["file"]
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(database)
        live = sqlite3.connect(settings.sqlite_path)
        with live:
            backup_db.backup(live)
        live.close()
        backup_db.close()
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                f"--dbname={settings.database_url}",
                str(database),
            ]
        )
    if not manifest["media"].get("in_object_storage"):
        media = settings.media_root
        staged = media.with_name(media.name + ".restoring")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(source / "media", staged)
        shutil.rmtree(media, ignore_errors=True)
        staged.rename(media)
    return manifest


def _run(command: list[str]) -> None:
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, env=_pg_env(), timeout=3600, check=False
        )
    except FileNotFoundError:
        raise BackupError(f"找不到 {command[0]}:请安装 PostgreSQL 客户端工具") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} 失败:{result.stderr.strip()[:500]}")
