"""The `campaign` command line (documented in the README's command table)."""

from __future__ import annotations

import asyncio
import getpass
import importlib
import inspect
import json
import sys
import time
from pathlib import Path

import click

from campaign.i18n import _


def run(coro):
    """Run a command's coroutine, then the jobs it started in this process (no Redis) to their
    end, then close the job queue's connection, all before the event loop closes. On pooled
    connections, as the server: on SQLite a write's connection is kept rather than closed, and
    closing the last connection copies the whole log into the database (~1.5 s after a 10^6-case
    import, before its follow-up jobs could start); the background checkpoint copies it while
    they run, and the pool's close at the end copies what is left."""
    # Importing the worker module subscribes the follow-up jobs (a case write → streak refresh).
    from campaign import jobs, worker  # noqa: F401
    from campaign.db import close_pool, start_pool

    async def command_then_jobs():
        await start_pool()
        try:
            return await coro
        finally:
            await jobs.drain()
            await jobs.close()
            await close_pool()

    return asyncio.run(command_then_jobs())


@click.group()
def main() -> None:
    """全民反诈攻坚 campaign system."""


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema and the reference lists."""
    from campaign.bootstrap import migrate as do_migrate

    run(do_migrate())
    click.echo(_("数据库已是最新结构"))


def _logging() -> None:
    from campaign.observability import configure_logging
    from campaign.settings import get_settings

    configure_logging(json_format=get_settings().log_format == "json")


KEEP_ALIVE_SECONDS = 75


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    _logging()

    uvicorn.run(
        "campaign.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        log_config=None,  # keep campaign's handlers: request ids, LOG_FORMAT=json
        access_log=False,  # campaign.requests logs every request once, with its id
        # Open live boards (server-sent events) would hold a restart for minutes; they reconnect
        # by themselves and replay what they missed (Last-Event-ID).
        timeout_graceful_shutdown=5,
        # Idle keep-alive connections stay open longer than a proxy or client keeps them (nginx
        # upstream keepalive: 60 s): with uvicorn's 5 s a request sent on a connection the
        # server is closing at that moment fails (seen in the load run as "Server disconnected").
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Processes; use PostgreSQL for more than one.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web application."""
    _serve(host, port, workers)


@main.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only prepare the database and print the logins.")
def demo(port: int, no_serve: bool) -> None:
    """Migrate, load Ningbo and demo data if the database is empty, print logins, serve."""
    from campaign.bootstrap import migrate as do_migrate
    from campaign.demo.builder import DEMO_PASSWORD, ensure_demo

    run(do_migrate())
    users = run(ensure_demo())
    click.echo(_("演示数据已就绪。演示账户(密码均为 %(p)s):", p=DEMO_PASSWORD))
    for username, role_label, unit in users:
        click.echo(f"  {username:<14} {role_label:<6} {unit}")
    if not no_serve:
        click.echo(f"→ http://127.0.0.1:{port}/")
        _serve("127.0.0.1", port, 1)


@main.command()
def worker() -> None:
    """Run the arq worker (needs REDIS_URL)."""
    from campaign.settings import get_settings
    from campaign.worker import run

    if not get_settings().redis_url:
        raise click.ClickException(
            _("未设置 REDIS_URL:不配置 Redis 时任务在应用进程内执行,无需单独启动 worker")
        )
    _logging()
    run()


@main.command()
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "leader", "coordinator", "team"])
)
@click.option("--unit", "unit_code", default=None, help="District, town or station code.")
@click.option("--password", default=None, help="Asked for when omitted.")
@click.option("--display-name", default=None)
@click.option("--team", default=None)
def createuser(
    name: str,
    role: str,
    unit_code: str | None,
    password: str | None,
    display_name: str | None,
    team: str | None,
) -> None:
    """Create a user with a role and a unit."""
    from campaign.accounts import forms, queries
    from campaign.regions import queries as regions

    async def create() -> None:
        kind = await regions.unit_kind_of(unit_code) if unit_code else None
        if unit_code and kind is None:
            raise click.ClickException(_("单位编码 %(code)s 不存在", code=unit_code))
        if problem := await queries.check_unit(role, kind, unit_code):
            raise click.ClickException(problem)
        if await queries.username_taken(name):
            raise click.ClickException(_("用户名已被使用"))
        if not forms.USERNAME.match(name):
            raise click.ClickException(_("用户名为 3–40 位字母、数字、下划线、点或连字符"))
        secret = password or getpass.getpass(_("密码:"))
        if problem := forms.password_error(secret):
            raise click.ClickException(problem)
        await queries.create_user(name, secret, display_name or name, role, kind, unit_code, team)

    run(create())
    click.echo(_("已创建用户 %(name)s", name=name))


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (shown once)."""
    from campaign.accounts import queries

    async def create() -> str:
        user_id = await queries.user_id_by_name(name)
        if user_id is None:
            raise click.ClickException(_("用户 %(name)s 不存在", name=name))
        return await queries.create_token(user_id, label)

    click.echo(run(create()))


#: Import kinds and the module whose `import_file(kind, filename, data, dry_run, actor)` takes them.
IMPORTERS = {
    "regions": "campaign.regions.imports",
    "stations": "campaign.regions.imports",
    "events": "campaign.events.imports",
    "cases": "campaign.cases.imports",
    "organisations": "campaign.duties.imports",
    "warnings": "campaign.warnings.imports",
}


#: Importers that take the file's path and stream it (the others get its bytes).
STREAMED = {"cases"}


def _progress_printer():
    """An import's progress on stderr, with the seconds since the command started (the summary
    alone goes to stdout)."""
    started = time.perf_counter()

    async def show(stage: str, done: int, total: int) -> None:
        figures = f" {done:,}/{total:,}" if total else ""
        click.echo(f"{stage}{figures} ({time.perf_counter() - started:.1f} s)", err=True)

    return show


@main.command("import")
@click.argument("kind", type=click.Choice(sorted(IMPORTERS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; change nothing.")
def import_(kind: str, file: Path, dry_run: bool) -> None:
    """Import a CSV or XLSX file; any bad row aborts the whole file."""
    import campaign.worker  # noqa: F401  (subscribes the follow-up jobs of a case import)
    from campaign.importing import ImportRejected

    importer = importlib.import_module(IMPORTERS[kind])
    extra = {}
    parameters = inspect.signature(importer.import_file).parameters
    if "progress" in parameters:
        extra["progress"] = _progress_printer()
    if "write_while_checking" in parameters:  # the progress is printed, not written
        extra["write_while_checking"] = True
    data = file if kind in STREAMED else file.read_bytes()

    async def import_then_say():
        summary = await importer.import_file(
            kind, file.name, data, dry_run=dry_run, actor=None, **extra
        )
        if "progress" in extra:  # next, the follow-up jobs, which run() waits for
            await extra["progress"]("follow-up", 0, 0)
        return summary

    try:
        summary = run(import_then_say())
    except ImportRejected as rejected:
        click.echo(rejected.report(), err=True)
        sys.exit(1)
    click.echo(summary.describe(dry_run))


@main.group()
def settings() -> None:
    """Runtime settings (tracked_since, milestones.station …)."""


@settings.command("set")
@click.argument("key")
@click.argument("value")
def settings_set(key: str, value: str) -> None:
    from campaign.system import queries

    try:
        stored = run(queries.set_setting(key, value))
    except ValueError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"{key} = {stored}")


@settings.command("show")
def settings_show() -> None:
    from campaign.system import queries

    for key, value in sorted(run(queries.all_settings()).items()):
        click.echo(f"{key} = {value}")


@main.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def backup_(target: Path) -> None:
    """Back up the database and the media files into TARGET (a new or empty folder)."""
    from campaign.backup import BackupError, backup

    try:
        manifest = backup(target)
    except BackupError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(json.dumps(manifest, ensure_ascii=False, indent=2))


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask; replaces the database and media files.")
def restore_(source: Path, yes: bool) -> None:
    """Replace the database and the media files with the backup in SOURCE (stop the app first)."""
    from campaign.backup import BackupError, restore

    if not yes:
        click.confirm("这将用备份覆盖当前数据库和媒体文件,继续吗?", abort=True)
    try:
        manifest = restore(source)
    except BackupError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"restored backup of {manifest['created_at']}")
