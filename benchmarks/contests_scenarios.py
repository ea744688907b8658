"""Contests at province scale: standings computed from the cases, the leadership view, snapshots.

    python benchmarks/contests_scenarios.py [--cases 1000000] [--requests 50]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is emptied): the synthetic province of campaign/demo/synthetic.py (≈90
districts, 1,400 towns, 25,000 villages, 1,200 stations) and --cases cases spread over a year,
then two running contests over the last 91 days: every town of the province (1,400 units) on
rate, 环比, zero-case days and losses, and every station on rate and 同比. Requests go to the app
in this process through ASGI, one after the other, so the figures are server-side time; pages
share standings computed within the last minute (contest_queries.recent_standings), so the
uncached computation and the nightly snapshot are timed separately. Prints p50/p95 per scenario
and writes benchmarks/out/contests-<engine>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import streaks_scenarios
from events_scenarios import OUT, PASSWORD, session, timed


def prepare_environment() -> Path:
    var = Path(tempfile.mkdtemp(prefix="campaign-contests-bench-"))
    os.environ["CAMPAIGN_VAR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ.pop("REDIS_URL", None)
    return var


async def load(count: int, seed: int = 2026) -> dict:
    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.cases.tables import Case
    from campaign.contests import queries as contest_queries
    from campaign.db import bulk_insert, engine, is_sqlite
    from campaign.demo import synthetic
    from campaign.timeutil import today

    await migrate()
    regions, stations = synthetic.build(synthetic.SCALES["province"], seed)
    await synthetic.write(regions, stations)
    villages = [r for r in regions if r.level == "village"]
    station_of = {town: s.code for s in stations for town in s.towns}
    rng = random.Random(seed)
    end = today() - dt.timedelta(days=1)
    started = time.perf_counter()
    for first in range(0, count, 100_000):
        rows = []
        for n in range(first, min(count, first + 100_000)):
            village = rng.choice(villages)
            rows.append(
                {
                    "case_no": f"BENCH{n:08d}",
                    "occurred_on": end - dt.timedelta(days=rng.randrange(365)),
                    "village_code": village.code,
                    "town_code": village.town_code,
                    "district_code": village.district_code,
                    "station_code": station_of.get(village.town_code),
                    "fraud_type": "投资理财",
                    "loss_fen": rng.randrange(100_00, 50_000_00),
                    "is_demo": True,
                }
            )
        await bulk_insert(Case, rows)
        await streaks_scenarios.case_days()
    for table, column, where in (
        ("region", "town_code", "level = 'town'"),
        ("region", "village_code", "level = 'village'"),
        ("station", "station_code", "1 = 1"),
    ):
        await engine().run_ddl(
            f'UPDATE "{table}" SET last_case_on = (SELECT MAX(occurred_on) FROM "case" '
            f'WHERE "case".{column} = "{table}".code) WHERE {where}'
        )
    # Autovacuum's steady state: PostgreSQL counts from the (unit, day) index without heap reads
    # only once the visibility map is set.
    await engine().run_ddl("ANALYZE" if is_sqlite() else 'VACUUM ANALYZE "case"')
    print(f"loaded {count:,} cases in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    start = today() - dt.timedelta(days=90)
    period = {"start_on": start, "end_on": today() + dt.timedelta(days=30), "top_n": 10}
    towns = await contest_queries.create_contest(
        {
            **period,
            "name": "全省镇街控案竞赛",
            "level": "town",
            "district_code": None,
            "normalisation": "minmax",
            "metrics": [
                {"metric": "cases_per_10k", "weight": 40},
                {"metric": "change_mom", "weight": 20},
                {"metric": "zero_days", "weight": 30},
                {"metric": "loss", "weight": 10},
            ],
        },
        None,
    )
    stations_contest = await contest_queries.create_contest(
        {
            **period,
            "name": "全省派出所控案竞赛",
            "level": "station",
            "district_code": None,
            "normalisation": "rank",
            "metrics": [
                {"metric": "cases_per_10k", "weight": 60},
                {"metric": "change_yoy", "weight": 40},
            ],
        },
        None,
    )
    await accounts.create_user("admin", PASSWORD, "admin", "admin", None, None, None)
    await accounts.create_user("leader", PASSWORD, "领导", "leader", None, None, None)
    return {
        "engine": "sqlite" if is_sqlite() else "postgresql",
        "towns": towns,
        "stations": stations_contest,
        "first_town": villages[0].town_code,
    }


async def scenarios(ids: dict, requests: int) -> list[dict]:
    from campaign.app import create_app
    from campaign.contests import jobs
    from campaign.contests import queries as contest_queries
    from campaign.db import close_pool, start_pool
    from campaign.timeutil import today

    app = create_app()
    await start_pool()
    admin = await session(app, "admin")
    leader = await session(app, "leader")
    town, station = ids["towns"], ids["stations"]
    plan = [
        ("healthz", admin, "/healthz"),
        ("contest list", admin, "/contests"),
        ("standings, 1,400 towns", admin, f"/contests/{town}"),
        ("standings, stations", admin, f"/contests/{station}"),
        ("standings API, towns", admin, f"/api/v1/contests/{town}/standings"),
        ("explain one town", admin, f"/contests/{town}/units/{ids['first_town']}/explain"),
        ("leaders view", leader, "/leaders"),
        ("leaders contests part", leader, "/leaders/part/contests"),
        ("wall screen", leader, "/leaders/wall"),
    ]
    results = []
    for name, client, path in plan:
        await timed(client, "GET", path, 2)  # warm caches
        result = {"scenario": name, "path": path, **await timed(client, "GET", path, requests)}
        results.append(result)
        print(f"{name:<26}{result['p50_ms']:>9.2f}{result['p95_ms']:>9.2f}", file=sys.stderr)
    for name, contest_id in (("towns", town), ("stations", station)):
        contest = await contest_queries.contest(contest_id)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            await contest_queries.standings_for(contest)
            times.append(round((time.perf_counter() - started) * 1000, 1))
        results.append({"scenario": f"standings computed, {name} (uncached)", "ms": times})
        print(f"standings computed, {name}: {times} ms", file=sys.stderr)
    started = time.perf_counter()
    stored = await jobs.snapshot_contests({}, (today() - dt.timedelta(days=1)).isoformat())
    results.append(
        {
            "scenario": "nightly snapshot, both contests",
            "rows": stored,
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
    assert stored == len(await contest_queries.units_of("town", None)) + len(
        await contest_queries.units_of("station", None)
    )
    for client in (admin, leader):
        await client.aclose()
    await close_pool()
    return results


async def main_async(cases: int, requests: int) -> None:
    ids = await load(cases)
    results = await scenarios(ids, requests)
    OUT.mkdir(exist_ok=True)
    report = {"engine": ids["engine"], "cases": cases, "results": results}
    (OUT / f"contests-{ids['engine']}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    prepare_environment()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(main_async(args.cases, args.requests))


if __name__ == "__main__":
    main()
