"""One home for writes: `audited` commits a change only together with its audit entry."""

from __future__ import annotations

import pytest

from campaign.accounts.audit import UnauditedWrite, audited
from campaign.accounts.rules import CurrentUser, Scope
from campaign.accounts.tables import AuditEntry
from campaign.system.tables import Setting

ACTOR = CurrentUser(1, "boss", "Boss", "admin", Scope())


async def _setting_rows() -> int:
    return await Setting.count().where(Setting.key == "audited-test")


async def test_a_change_and_its_entry_commit_together(db):
    async with audited(ACTOR, "10.0.0.1") as audit:
        await Setting.insert(Setting(key="audited-test", value="1"))
        await audit.record("setting.set", "setting:audited-test", "设置", {"after": "1"})
    entry = await AuditEntry.select().first()
    assert await _setting_rows() == 1
    assert (entry["actor_name"], entry["action"], entry["ip"]) == (
        "boss",
        "setting.set",
        "10.0.0.1",
    )


async def test_a_change_without_an_entry_is_refused_and_rolled_back(db):
    with pytest.raises(UnauditedWrite):
        async with audited(ACTOR):
            await Setting.insert(Setting(key="audited-test", value="1"))
    assert await _setting_rows() == 0 and await AuditEntry.count() == 0


async def test_an_error_rolls_back_the_change_and_the_entry(db):
    with pytest.raises(ValueError):
        async with audited(ACTOR) as audit:
            await Setting.insert(Setting(key="audited-test", value="1"))
            await audit.record("setting.set", "setting:audited-test", "设置")
            raise ValueError("bad input found late")
    assert await _setting_rows() == 0 and await AuditEntry.count() == 0


async def test_a_use_case_that_found_nothing_to_change_says_so(db):
    async with audited(ACTOR) as audit:
        audit.nothing_changed()
    assert await AuditEntry.count() == 0
