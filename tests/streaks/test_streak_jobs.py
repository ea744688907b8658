"""The nightly streak snapshot and the refresh after case writes, and the events they add."""

from __future__ import annotations

from campaign import worker
from campaign.streaks import jobs, queries
from campaign.streaks.tables import StreakBest, StreakEvent, StreakSnapshot
from tests.helpers.streaks import add_cases, ago, setup_cases


async def events() -> list[tuple]:
    rows = await StreakEvent.select().order_by(StreakEvent.id)
    return [(r["kind"], r["level"], r["code"], r["days"], r["milestone"], r["day"]) for r in rows]


async def test_nightly_snapshot_stores_every_unit_of_every_level_with_its_rank(db):
    await setup_cases()
    assert await jobs.snapshot_streaks({}, ago(1).isoformat()) == 3 + 4 + 3
    rows = await StreakSnapshot.select().where(StreakSnapshot.level == "station")
    assert {(r["code"], r["current_days"], r["rank"]) for r in rows} == {
        ("PS330282005", 39, 1),
        ("PS330206002", 11, 2),
        ("PS330282108", 2, 3),
    }
    assert {r["day"] for r in rows} == {ago(1)}
    assert await StreakBest.count() == 10


async def test_snapshot_emits_each_milestone_once_when_it_is_crossed(db):
    await setup_cases()
    await queries.write_snapshot(ago(11))
    await queries.write_snapshot(ago(10))
    await queries.write_snapshot(ago(10))
    crossed = [e for e in await events() if e[0] == "milestone"]
    assert ("milestone", "station", "PS330282005", 30, 30, ago(10)) in crossed
    assert len(crossed) == len(set(crossed))
    assert not [e for e in crossed if e[5] == ago(11) and e[2] == "PS330282005"]


async def test_a_new_case_after_a_long_streak_adds_a_broken_event_on_refresh(db):
    await setup_cases()
    await jobs.refresh_streaks_after_cases({})
    await add_cases([(0, ago(1))], prefix="N")
    touched = [("village", "330282005002"), ("town", "330282005"), ("station", "PS330282005")]
    assert await jobs.refresh_streaks_after_cases({}, touched) == 3
    broken = {(e[1], e[2], e[3], e[5]) for e in await events() if e[0] == "broken"}
    assert broken == {
        ("village", "330282005002", 38, ago(1)),
        ("town", "330282005", 38, ago(1)),
        ("station", "PS330282005", 38, ago(1)),
    }
    assert await jobs.refresh_streaks_after_cases({}, touched) == 0


async def test_a_short_streak_ending_is_not_news(db):
    await setup_cases()
    await jobs.refresh_streaks_after_cases({})
    await add_cases([(4, ago(1))], prefix="N")
    assert await jobs.refresh_streaks_after_cases({}, [("station", "PS330282108")]) == 0


async def test_stored_best_is_used_and_matches_a_recomputation(db):
    await setup_cases()
    before = await queries.streak_board("village", ago(0))
    await jobs.refresh_streaks_after_cases({})
    after = await queries.streak_board("village", ago(0))
    keys = ("code", "longest_days", "longest_from", "longest_to")
    assert [[r[k] for k in keys] for r in before.rows] == [[r[k] for k in keys] for r in after.rows]


def test_the_nightly_job_runs_at_ten_past_midnight_shanghai_time():
    entry = next(c for c in worker.CRON_JOBS if c.coroutine is jobs.snapshot_streaks)
    assert (entry.hour, entry.minute) == ({0}, {10})
    assert worker.WorkerSettings.timezone.key == "Asia/Shanghai"
    assert jobs.refresh_streaks_after_cases in worker.FUNCTIONS


async def test_a_snapshot_after_a_case_day_reports_the_broken_streak_once(db):
    await setup_cases()
    await add_cases([(0, ago(2))], prefix="N")
    await queries.write_snapshot(ago(3))
    await queries.write_snapshot(ago(2))
    await jobs.refresh_streaks_after_cases({})
    await jobs.refresh_streaks_after_cases({}, [("station", "PS330282005")])
    broken = [e for e in await events() if e[0] == "broken" and e[1] == "station"]
    assert broken == [("broken", "station", "PS330282005", 37, None, ago(2))]


BAISHA_UNITS = [("village", "330282005002"), ("town", "330282005"), ("station", "PS330282005")]


async def test_a_case_recorded_late_takes_back_the_milestone_and_a_deleted_one_the_break(db):
    """The feed follows corrections: 白沙路派出所 was announced at 30 days on ago(10); a case on
    ago(15) recorded afterwards makes that untrue and breaks a 24-day run instead; deleting the
    case again takes the break back."""
    from campaign.cases import queries as cases
    from campaign.cases.tables import Case
    from campaign.db import write_transaction

    await setup_cases()
    await jobs.refresh_streaks_after_cases({})
    await queries.write_snapshot(ago(10))
    announced = ("milestone", "station", "PS330282005", 30, 30, ago(10))
    assert announced in await events()
    await add_cases([(0, ago(15))], prefix="LATE")
    await jobs.refresh_streaks_after_cases({}, BAISHA_UNITS)
    feed = await events()
    assert announced not in feed
    assert ("broken", "station", "PS330282005", 24, None, ago(15)) in feed
    late = await Case.select(Case.id).where(Case.case_no == "LATE0").first()
    async with write_transaction():
        await cases.delete_case(late["id"])
    await jobs.refresh_streaks_after_cases({}, BAISHA_UNITS)
    assert not [e for e in await events() if e[0] == "broken" and e[5] == ago(15)]
