"""Point awards commit without waiting for the WAL flush on PostgreSQL; everything else, and
redemptions in particular, stays fully durable (docs/architecture.md, "Durability of awards").

A trigger on the ledger records the `synchronous_commit` in effect in the transaction that
writes each entry, so the test sees the setting of the real award and redemption paths."""

from __future__ import annotations

import pytest

from campaign.db import engine, is_sqlite, write_transaction
from campaign.volunteers import queries, rules
from campaign.volunteers.tables import Reward
from tests.helpers.volunteers import SHUGUANG, approved_propagandist, event_now, setup, staff


@pytest.fixture
async def seen_settings(app):
    """Yields a function returning [(ledger kind, synchronous_commit)] in the order written."""
    if is_sqlite():  # SQLite connections all commit without an fsync (db.py); nothing to switch
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    ddl = engine().run_ddl
    await ddl("CREATE TABLE sync_seen (id serial PRIMARY KEY, kind text, setting text)")
    await ddl(
        "CREATE FUNCTION sync_seen_note() RETURNS trigger AS $$ BEGIN "
        "INSERT INTO sync_seen (kind, setting) "
        "VALUES (NEW.kind, current_setting('synchronous_commit')); RETURN NEW; END $$ "
        "LANGUAGE plpgsql"
    )
    await ddl(
        "CREATE TRIGGER sync_seen AFTER INSERT ON point_entry "
        "FOR EACH ROW EXECUTE FUNCTION sync_seen_note()"
    )

    async def seen() -> list[tuple[str, str]]:
        rows = await ddl("SELECT kind, setting FROM sync_seen ORDER BY id")
        return [(r["kind"], r["setting"]) for r in rows]

    try:
        yield seen
    finally:
        await ddl("DROP TRIGGER sync_seen ON point_entry")
        await ddl("DROP FUNCTION sync_seen_note()")
        await ddl("DROP TABLE sync_seen")


async def test_awards_commit_relaxed_and_redemptions_stay_durable_on_postgresql(
    seen_settings, make_user
):
    await setup(make_user)
    recruiter = await approved_propagandist(await staff(make_user, "police_wang"))
    checked = rules.SignupInput("李小红", "13500000001", SHUGUANG, None)
    v = await queries.volunteer(await queries.sign_up(recruiter, checked, "9.9.9.9", queries.now()))
    event = await queries.checkin_event(await event_now())

    outcome = await queries.check_in(v, event, queries.now())
    assert outcome.points > 0
    await queries.award(
        queries.person_of_volunteer(v), rules.SHARE_OPEN, "s:1", "测试", queries.now()
    )
    async with write_transaction():
        gift = await Reward.insert(Reward(name="小牛警贴纸", price=10, stock=3)).returning(
            Reward.id
        )
    rid, problem = await queries.redeem(await queries.volunteer(v.id), gift[0]["id"], queries.now())
    assert rid is not None and problem is None

    assert await seen_settings() == [
        (rules.RECRUIT, "off"),  # the recruiter's credit, in the check-in's transaction
        (rules.CHECKIN, "off"),
        (rules.SHARE_OPEN, "off"),
        (rules.REDEEM, "on"),
    ]
    # SET LOCAL ends with its transaction: the pooled connections are back to the default
    for _ in range(3):
        async with write_transaction() as transaction:
            setting = await transaction.connection.fetchval("SHOW synchronous_commit")
        assert setting == "on"
