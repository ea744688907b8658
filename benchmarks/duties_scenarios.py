"""The 平安考核 assessment at province scale: every town and station (≈2,600 units) for a quarter.

    python benchmarks/duties_scenarios.py [--cases 200000] [--tasks-per-unit 4] [--requests 50]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is emptied): the synthetic province of campaign/demo/synthetic.py (≈1,400
towns, 1,200 stations), --cases cases over the quarter, --tasks-per-unit tasks for every town
and station in every state, a contest per level and dissuaded warnings. Times the computation
and storage of the assessment per level (target ≤ 2 s for all ≈2,600 units), then the ranking
page and an assessment sheet, rendered from the stored run (target ≤ 30 ms), through ASGI in this
process. Prints p50/p95 and writes benchmarks/out/duties-<engine>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import random
import sys
import time

from contests_scenarios import prepare_environment
from events_scenarios import OUT, PASSWORD, session, timed


async def load(cases: int, tasks_per_unit: int, seed: int = 2026) -> dict:
    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.cases.tables import Case
    from campaign.contests import queries as contests
    from campaign.db import bulk_insert, engine, is_sqlite
    from campaign.demo import synthetic
    from campaign.duties import rules
    from campaign.duties.tables import Measure, Task
    from campaign.timeutil import today
    from campaign.warnings.tables import Warning

    await migrate()
    regions, stations = synthetic.build(synthetic.SCALES["province"], seed)
    await synthetic.write(regions, stations)
    towns = [r for r in regions if r.level == "town"]
    villages = [r for r in regions if r.level == "village"]
    station_of = {town: s.code for s in stations for town in s.towns}
    rng = random.Random(seed)
    year, quarter = rules.quarter_of(today())
    start, end = rules.quarter_bounds(year, quarter)
    days = max(1, (min(end, today()) - start).days + 1)
    started = time.perf_counter()
    rows = []
    for n in range(cases):
        village = rng.choice(villages)
        rows.append(
            {
                "case_no": f"BENCH{n:08d}",
                "occurred_on": start + dt.timedelta(days=rng.randrange(days)),
                "village_code": village.code,
                "town_code": village.town_code,
                "district_code": village.district_code,
                "station_code": station_of.get(village.town_code),
                "fraud_type": "投资理财",
                "loss_fen": rng.randrange(100_00, 2_000_000_00),
                "is_demo": True,
            }
        )
    await bulk_insert(Case, rows)
    measure = (await Measure.insert(Measure(number=1, title="bench", red_line=True)))[0]["id"]
    tasks = []
    units = [("town", t.code, t.code, None, t.district_code) for t in towns]
    units += [("station", s.code, None, s.code, s.district_code) for s in stations]
    for kind, code, town, station, district in units:
        for i in range(tasks_per_unit):
            due = start + dt.timedelta(days=rng.randrange(days))
            status = rng.choice(("accepted", "accepted", "submitted", "open"))
            tasks.append(
                {
                    "measure_id": measure,
                    "title": f"task {i}",
                    "unit_kind": kind,
                    "unit_code": code,
                    "unit_name": code,
                    "town_code": town,
                    "station_code": station,
                    "district_code": district,
                    "due_on": due,
                    "evidence_kind": "document",
                    "reviewer_id": 1,
                    "status": status,
                    "submitted_on": due if status != "open" else None,
                }
            )
    await bulk_insert(Task, tasks)
    warnings = []
    for n in range(cases // 5):
        village = rng.choice(villages)
        issued = dt.datetime.combine(start, dt.time(9), dt.UTC)
        warnings.append(
            {
                "warning_no": f"BW{n:08d}",
                "issued_at": issued,
                "issued_on": start,
                "risk_level": "high",
                "phone_hash": f"{n:064d}",
                "phone_masked": "138****0000",
                "town_code": village.town_code,
                "district_code": village.district_code,
                "station_code": station_of.get(village.town_code),
                "content_digest": str(n),
                "status": "closed",
                "outcome": "dissuaded",
            }
        )
    await bulk_insert(Warning, warnings)
    for level in ("town", "station"):
        await contests.create_contest(
            {
                "start_on": start,
                "end_on": end,
                "top_n": 10,
                "name": f"bench {level}",
                "level": level,
                "district_code": None,
                "normalisation": "minmax",
                "metrics": [{"metric": "cases_per_10k", "weight": 100}],
            },
            None,
        )
    await engine().run_ddl("ANALYZE")
    await accounts.create_user("admin", PASSWORD, "admin", "admin", None, None, None)
    print(
        f"loaded {cases:,} cases, {len(tasks):,} tasks, {len(warnings):,} warnings "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return {
        "engine": "sqlite" if is_sqlite() else "postgresql",
        "quarter": f"{year}Q{quarter}",
        "year": year,
        "q": quarter,
        "town": towns[0].code,
        "units": len(units),
    }


async def scenarios(info: dict, requests: int) -> list[dict]:
    from campaign.app import create_app
    from campaign.db import close_pool, start_pool
    from campaign.duties import queries

    app = create_app()
    await start_pool()
    results = []
    runs = {}
    for level in ("town", "station"):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            runs[level] = await queries.compute_assessment(level, info["year"], info["q"], None)
            times.append(round(time.perf_counter() - started, 3))
        run = await queries.run(runs[level])
        results.append(
            {
                "scenario": f"compute and store, {level}",
                "units": run["units"],
                "seconds": times,
                "scoring_seconds": run["seconds"],
            }
        )
        print(f"compute {level} ({run['units']} units): {times} s", file=sys.stderr)
    admin = await session(app, "admin")
    plan = [
        ("ranking page, towns", f"/duties/assessment?level=town&quarter={info['quarter']}"),
        (
            "ranking page, stations, page 10",
            f"/duties/assessment?level=station&quarter={info['quarter']}&page=10",
        ),
        ("ranking fragment (htmx)", f"/duties/assessment?level=town&quarter={info['quarter']}"),
        ("assessment sheet", f"/duties/assessment/runs/{runs['town']}/{info['town']}"),
        ("task list", "/duties/tasks?overdue=1"),
    ]
    for name, path in plan:
        if "htmx" in name:
            admin.headers["hx-request"] = "true"
        await timed(admin, "GET", path, 2)
        result = {"scenario": name, "path": path, **await timed(admin, "GET", path, requests)}
        admin.headers.pop("hx-request", None)
        results.append(result)
        print(f"{name:<34}{result['p50_ms']:>9.2f}{result['p95_ms']:>9.2f}", file=sys.stderr)
    await admin.aclose()
    await close_pool()
    return results


async def main_async(cases: int, tasks_per_unit: int, requests: int) -> None:
    info = await load(cases, tasks_per_unit)
    results = await scenarios(info, requests)
    OUT.mkdir(exist_ok=True)
    report = {
        "engine": info["engine"],
        "cases": cases,
        "units": info["units"],
        "tasks_per_unit": tasks_per_unit,
        "results": results,
    }
    (OUT / f"duties-{info['engine']}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--tasks-per-unit", type=int, default=4)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    prepare_environment()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(main_async(args.cases, args.tasks_per_unit, args.requests))


if __name__ == "__main__":
    main()
