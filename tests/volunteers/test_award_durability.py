"""Point awards and the sign-up throttle's counter commit without waiting for the WAL flush on
PostgreSQL; the sign-up itself and redemptions stay fully durable (docs/architecture.md,
"Durability").

Triggers record the `synchronous_commit` in effect in the transaction of every ledger entry and
every write to a volunteer or the throttle, so the test sees the setting of the real paths."""

from __future__ import annotations

import pytest

from campaign.db import engine, is_sqlite, write_transaction
from campaign.volunteers import queries, rules
from campaign.volunteers.tables import Reward
from tests.helpers.volunteers import SHUGUANG, approved_propagandist, event_now, setup, staff


@pytest.fixture
async def seen_settings(app):
    """Yields a function returning [(what, synchronous_commit)] in the order written: what is the
    ledger entry's kind, or the table for a sign-up and the throttle's counter."""
    if is_sqlite():  # SQLite connections all commit without an fsync (db.py); nothing to switch
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    ddl = engine().run_ddl
    await ddl("CREATE TABLE sync_seen (id serial PRIMARY KEY, what text, setting text)")
    await ddl(
        "CREATE FUNCTION sync_seen_note() RETURNS trigger AS $$ BEGIN "
        "IF TG_TABLE_NAME = 'point_entry' THEN "
        "INSERT INTO sync_seen (what, setting) "
        "VALUES (NEW.kind, current_setting('synchronous_commit')); "
        "ELSE INSERT INTO sync_seen (what, setting) "
        "VALUES (TG_TABLE_NAME, current_setting('synchronous_commit')); END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    for table in TABLES:
        await ddl(
            f"CREATE TRIGGER sync_seen AFTER INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sync_seen_note()"
        )

    async def seen() -> list[tuple[str, str]]:
        rows = await ddl("SELECT what, setting FROM sync_seen ORDER BY id")
        return [(r["what"], r["setting"]) for r in rows]

    try:
        yield seen
    finally:
        for table in TABLES:
            await ddl(f"DROP TRIGGER sync_seen ON {table}")
        await ddl("DROP FUNCTION sync_seen_note()")
        await ddl("DROP TABLE sync_seen")


TABLES = ("point_entry", "signup_attempt", "volunteer")


async def test_awards_commit_relaxed_and_redemptions_stay_durable_on_postgresql(
    seen_settings, make_user
):
    await setup(make_user)
    recruiter = await approved_propagandist(await staff(make_user, "police_wang"))
    assert await queries.note_signup_attempt("ip:9.9.9.9", queries.now()) == 1
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
        ("signup_attempt", "off"),  # the throttle's counter: losing it restarts a window
        ("volunteer", "on"),  # the sign-up itself stays durable
        ("volunteer", "off"),  # the check-in: first activity,
        (rules.RECRUIT, "off"),  # the recruiter's credit,
        (rules.CHECKIN, "off"),  # the award
        ("volunteer", "off"),  # and the volunteer's totals, all in one relaxed transaction
        (rules.SHARE_OPEN, "off"),
        ("volunteer", "off"),
        ("volunteer", "on"),  # a redemption spends points
        (rules.REDEEM, "on"),  # and stays durable
    ]
    # SET LOCAL ends with its transaction: the pooled connections are back to the default
    for _ in range(3):
        async with write_transaction() as transaction:
            setting = await transaction.connection.fetchval("SHOW synchronous_commit")
        assert setting == "on"
