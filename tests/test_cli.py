"""The `campaign` command line: users, tokens, settings, imports (the README's command table)."""

from __future__ import annotations

import asyncio
import re

import pytest
from click.testing import CliRunner

from campaign.accounts.tables import ApiToken, Profile
from campaign.cli import main
from campaign.system.tables import Setting
from tests.helpers.database import truncate_all
from tests.helpers.ningbo import load_slice


@pytest.fixture
def empty_db(migrated):
    asyncio.run(truncate_all())
    asyncio.run(load_slice())


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_createuser_with_a_town_unit(empty_db):
    result = invoke(
        "createuser",
        "coord1",
        "--role",
        "coordinator",
        "--unit",
        "330282005",
        "--password",
        "coord2026x",
    )
    assert result.exit_code == 0, result.output
    profile = Profile.select().first().run_sync()
    assert (profile["unit_kind"], profile["unit_code"]) == ("town", "330282005")


def test_createuser_refuses_an_unknown_unit(empty_db):
    result = invoke(
        "createuser",
        "coord1",
        "--role",
        "coordinator",
        "--unit",
        "330282999",
        "--password",
        "coord2026x",
    )
    assert result.exit_code != 0 and "不存在" in result.output
    assert not Profile.exists().run_sync()


def test_createuser_refuses_a_coordinator_without_unit(empty_db):
    result = invoke("createuser", "coord1", "--role", "coordinator", "--password", "coord2026x")
    assert result.exit_code != 0 and "协调员必须指定" in result.output


def test_token_create_prints_a_token_stored_as_hash(empty_db):
    invoke("createuser", "wall", "--role", "leader", "--password", "wall2026xx")
    result = invoke("token", "create", "wall")
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("cmp_")
    assert token not in str(ApiToken.select().run_sync())


def test_token_for_unknown_user_fails(empty_db):
    result = invoke("token", "create", "ghost")
    assert result.exit_code != 0 and "不存在" in result.output


def test_settings_set_validates(empty_db):
    assert invoke("settings", "set", "tracked_since", "2026-05-01").exit_code == 0
    bad = invoke("settings", "set", "tracked_since", "May 1st")
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
    unknown = invoke("settings", "set", "colour", "red")
    assert unknown.exit_code != 0 and "未知的设置项" in unknown.output
    assert Setting.select(Setting.value).first().run_sync()["value"] == "2026-05-01"


def test_case_import_refreshes_streaks_and_the_feed_before_the_command_exits(empty_db, tmp_path):
    """Without Redis the streak refresh runs in this process: the command waits for it, so the
    broken 38-day streak of 白沙路派出所 is in the feed as soon as `campaign import` returns."""
    from campaign.cases.queries import seed_reference_lists
    from campaign.streaks import jobs
    from campaign.streaks.tables import StreakEvent
    from tests.helpers.streaks import add_cases, ago

    async def before() -> None:
        await seed_reference_lists()
        await add_cases([(0, ago(60)), (0, ago(40))])
        await jobs.refresh_streaks_after_cases({})

    asyncio.run(before())
    file = tmp_path / "cases.csv"
    file.write_text(
        "案件编号,发案时间,区划代码,派出所编码,诈骗类型,损失金额\n"
        f"CLI1,{ago(1).isoformat()} 10:00,330282005002,PS330282005,兼职刷单,100\n",
        encoding="utf-8",
    )
    result = invoke("import", "cases", str(file))
    assert result.exit_code == 0, result.output
    assert "Event loop is closed" not in result.output
    # progress (the row total while checking is estimated from the file size)
    assert re.search(r"checking \d+/\d+", result.output) and "writing 1/1" in result.output
    broken = StreakEvent.select(StreakEvent.level, StreakEvent.days).where(
        StreakEvent.kind == "broken", StreakEvent.code == "PS330282005"
    )
    assert broken.run_sync() == [{"level": "station", "days": 38}]


def test_a_command_subscribes_the_follow_up_jobs_in_a_fresh_process():
    """`campaign import cases` runs in its own interpreter: the streak refresh that follows a
    case write must be subscribed there too, not only in the web app."""
    import subprocess
    import sys

    code = (
        "import asyncio, campaign.cli as cli, campaign.jobs as jobs\n"
        "from campaign.cases.queries import CASES_CHANGED\n"
        "cli.run(asyncio.sleep(0))\n"
        "print(' '.join(f.__name__ for f in jobs.subscribers(CASES_CHANGED)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "refresh_streaks_after_cases" in out.stdout.split()
