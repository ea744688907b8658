"""The `campaign` command line: users, tokens, settings, imports (the README's command table)."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

from campaign.accounts.tables import ApiToken, Profile
from campaign.cli import main
from campaign.system.tables import Setting
from tests.conftest import truncate_all
from tests.ningbo import load_slice


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
