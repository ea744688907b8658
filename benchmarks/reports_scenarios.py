"""The weekly bulletin at province scale: one week computed from the cases, the published page,
the public page against /healthz, and the API.

    python benchmarks/reports_scenarios.py [--cases 1000000] [--requests 50]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is emptied): the synthetic province of campaign/demo/synthetic.py (≈90
districts, 1,400 towns, 25,000 villages) and --cases cases spread over the last year with the
report's fraud-type, occupation and age mix. It times the computation of last week's bulletin
(uncached, three times: 12 weeks of town counts, the week and the week before grouped four ways,
the same week a year earlier, warned people), publishes it, then sends requests through ASGI in
this process one after the other (server-side time): the published page, the public page, the
API and /healthz. The public page's throughput is compared with /healthz measured the same way;
the figure that counts (≥ 0.3 × /healthz) must be taken with `campaign serve` and a load tool
on an idle machine. Prints p50/p95 per scenario and writes benchmarks/out/reports-<engine>.json.
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

TYPES = (
    ("投资理财", 32),
    ("兼职刷单", 24),
    ("冒充客服", 18),
    ("贷款", 14),
    ("冒充亲友", 6),
    ("其他", 6),
)
GROUPS = (("学生", 18), ("医务人员", 3), ("教师", 1), ("企业职员", 30), ("其他", 48))


def prepare_environment() -> Path:
    var = Path(tempfile.mkdtemp(prefix="campaign-reports-bench-"))
    os.environ["CAMPAIGN_VAR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ.pop("REDIS_URL", None)
    return var


async def load(count: int, seed: int = 2026) -> dict:
    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.cases.tables import Case
    from campaign.db import bulk_insert, engine, is_sqlite
    from campaign.demo import synthetic
    from campaign.timeutil import today

    await migrate()
    regions, stations = synthetic.build(synthetic.SCALES["province"], seed)
    await synthetic.write(regions, stations)
    villages = [r for r in regions if r.level == "village"]
    rng = random.Random(seed)
    types = [t for t, w in TYPES for _ in range(w)]
    groups = [g for g, w in GROUPS for _ in range(w)]
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
                    "fraud_type": rng.choice(types),
                    "occupation_group": rng.choice(groups),
                    "victim_age": rng.randrange(12, 85),
                    "loss_fen": rng.randrange(100_00, 50_000_00),
                    "is_demo": True,
                }
            )
        await bulk_insert(Case, rows)
        await streaks_scenarios.case_days()
    await engine().run_ddl("ANALYZE" if is_sqlite() else 'VACUUM ANALYZE "case"')
    print(f"loaded {count:,} cases in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    await accounts.create_user("admin", PASSWORD, "admin", "admin", None, None, None)
    await accounts.create_user("leader", PASSWORD, "领导", "leader", None, None, None)
    return {"engine": "sqlite" if is_sqlite() else "postgresql"}


async def scenarios(requests: int) -> list[dict]:
    from campaign.app import create_app
    from campaign.db import close_pool, start_pool
    from campaign.reports import queries, rules
    from campaign.timeutil import today

    app = create_app()
    await start_pool()
    week = rules.last_complete_week(today())
    results = []
    times = []
    for _ in range(3):
        started = time.perf_counter()
        figures = await queries.compute_figures(week)
        times.append(round((time.perf_counter() - started) * 1000, 1))
    results.append({"scenario": "one week's bulletin computed (uncached)", "ms": times})
    print(f"bulletin computed: {times} ms ({figures['cases']} cases that week)", file=sys.stderr)
    await queries.publish(week, actor=None)
    admin = await session(app, "admin")
    leader = await session(app, "leader")
    import httpx

    public = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    plan = [
        ("healthz", public, "/healthz"),
        ("public latest bulletin", public, "/public/bulletin"),
        ("published bulletin page", leader, f"/bulletins/{week.key}"),
        ("bulletin API", admin, f"/api/v1/bulletins/{week.key}"),
        ("archive", leader, "/bulletins"),
    ]
    for name, client, path in plan:
        await timed(client, "GET", path, 2)
        result = {"scenario": name, "path": path, **await timed(client, "GET", path, requests)}
        results.append(result)
        print(f"{name:<28}{result['p50_ms']:>9.2f}{result['p95_ms']:>9.2f}", file=sys.stderr)
    by = {r["scenario"]: r for r in results}
    ratio = by["healthz"]["p50_ms"] / by["public latest bulletin"]["p50_ms"]
    results.append(
        {"scenario": "public page throughput / healthz (in-process, p50)", "ratio": round(ratio, 3)}
    )
    for client in (admin, leader, public):
        await client.aclose()
    await close_pool()
    return results


async def main_async(cases: int, requests: int) -> None:
    info = await load(cases)
    results = await scenarios(requests)
    OUT.mkdir(exist_ok=True)
    report = {"engine": info["engine"], "cases": cases, "results": results}
    (OUT / f"reports-{info['engine']}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    prepare_environment()
    asyncio.run(main_async(args.cases, args.requests))


if __name__ == "__main__":
    main()
