"""Cases at province scale: importing 1,000,000 cases end to end, and recording one case.

    DATABASE_URL=… CAMPAIGN_VAR=… python benchmarks/cases_import.py [--cases N] [--inserts-only]

Needs an empty database (it is migrated here): loads the synthetic province (≈90 districts,
1,400 towns, 25,000 villages, 1,200 stations) with campaign.demo.synthetic, writes a CSV of N
generated cases (a script, seeded: every row valid, villages and town-coded cases mixed, dates in
the last year, a tenth with a time of day), then times

  1. `import_file("cases", …)` end to end: read and decode, validate every row, compare with the
     stored cases, bulk write, last case days of every touched village/town/station refreshed;
  2. the same file again (idempotent: nothing changes);
  3. `insert_case` for single cases inside a write transaction at that scale (p50/p95 of 300):
     the write of one case plus its village, town and station last case days, which is what
     "recording one case updates all affected streaks" costs (streaks are arithmetic on those);
     given without and with the transaction's begin and commit (the commit's fsync is the disk's).

Prints the figures as JSON (also written to benchmarks/out/cases-<engine>.json).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
TYPES = ("投资理财", "刷单返利", "冒充客服", "贷款", "冒充亲友", "网络婚恋", "冒充公检法")
OCCUPATIONS = ("在校大学生", "公司职员", "护士", "退休", "个体户", "", "教师", "务工")


def case_csv(villages: list[str], towns: list[str], count: int, seed: int = 7) -> bytes:
    """N valid rows over the given places, deterministic for a seed."""
    import datetime as dt

    from campaign.timeutil import today

    rng = random.Random(seed)
    end = today()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "案件编号",
            "发案时间",
            "区划代码",
            "派出所编码",
            "诈骗类型",
            "损失金额",
            "受害人职业",
            "受害人年龄",
        ]
    )
    days = [(end - dt.timedelta(days=d)).isoformat() for d in range(365)]
    for i in range(count):
        place = rng.choice(towns) if rng.random() < 0.08 else rng.choice(villages)
        day = rng.choice(days)
        when = f"{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}" if i % 10 == 0 else day
        writer.writerow(
            [
                f"B{i:08d}",
                when,
                place,
                "",
                rng.choice(TYPES),
                f"{rng.lognormvariate(9, 1.5):.2f}",
                rng.choice(OCCUPATIONS),
                rng.randint(16, 80),
            ]
        )
    return buffer.getvalue().encode("utf-8")


async def main(count: int, inserts_only: bool) -> dict:
    from campaign.bootstrap import migrate
    from campaign.db import close_pool, is_sqlite, start_pool
    from campaign.regions.tables import Region

    await migrate()
    await start_pool()
    try:
        if inserts_only:
            rows = await Region.select(Region.code).where(Region.level == "village")
            result = {"engine": "sqlite" if is_sqlite() else "postgresql"}
            result |= await time_inserts([r["code"] for r in rows], f"R{time.time_ns()}-")
            return result
        if await Region.exists():
            raise SystemExit("the database must be empty (use a fresh CAMPAIGN_VAR / database)")
        result = {"engine": "sqlite" if is_sqlite() else "postgresql"}
        villages = await time_import(count, result)
        result |= await time_inserts(villages, "ONE")
    finally:
        await close_pool()
    OUT.mkdir(exist_ok=True)
    (OUT / f"cases-{result['engine']}.json").write_text(json.dumps(result, indent=2))
    return result


async def time_import(count: int, result: dict) -> list[str]:
    from campaign.cases.imports import import_file
    from campaign.demo import synthetic

    started = time.perf_counter()
    regions, stations = synthetic.build(synthetic.SCALES["province"])
    await synthetic.write(regions, stations)
    print(f"province loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    villages = [r.code for r in regions if r.level == "village"]
    towns = [r.code for r in regions if r.level == "town"]
    started = time.perf_counter()
    data = case_csv(villages, towns, count)
    print(
        f"{count:,} rows, {len(data) / 1e6:.0f} MB generated in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    # time from one progress report to the next, filed under the stage that was running
    stages: dict[str, float] = {}
    running = ["start"]
    last = [time.perf_counter()]

    async def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stages[running[0]] = stages.get(running[0], 0) + now - last[0]
        last[0], running[0] = now, stage

    started, cpu = time.perf_counter(), time.process_time()
    last[0] = started
    summary = await import_file("cases", "bench.csv", data, False, None, progress=progress)
    first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    stages[running[0]] = stages.get(running[0], 0) + time.perf_counter() - last[0]
    assert len(summary.added) == count, summary.describe()

    started = time.perf_counter()
    again = await import_file("cases", "bench.csv", data, False, None)
    second = time.perf_counter() - started
    assert not again.added and not again.changed
    result |= {
        "cases": count,
        "villages": len(villages),
        "towns": len(towns),
        "stations": len(stations),
        "import_seconds": round(first, 2),
        "import_cpu_seconds_this_process": round(first_cpu, 2),
        "import_stage_seconds": {k: round(v, 2) for k, v in stages.items()},
        "reimport_unchanged_seconds": round(second, 2),
    }
    return villages


async def time_inserts(villages: list[str], prefix: str, count: int = 300) -> dict:
    """insert_case for single cases in random villages, each in its own write transaction."""
    from campaign.cases import queries
    from campaign.db import write_transaction
    from campaign.timeutil import today

    rng = random.Random(11)
    timings, statements, cpu = [], [], []
    for i in range(count):
        village = rng.choice(villages)
        values = dict(
            case_no=f"{prefix}{i:05d}",
            occurred_on=today(),
            village_code=village,
            town_code=village[:9],
            district_code=village[:6],
            station_code=await _station(village[:9]),
            fraud_type="贷款",
            loss_fen=100,
        )
        began = time.perf_counter()
        async with write_transaction():
            inside, inside_cpu = time.perf_counter(), time.process_time()
            await queries.insert_case(values)
            statements.append((time.perf_counter() - inside) * 1000)
            cpu.append((time.process_time() - inside_cpu) * 1000)
        timings.append((time.perf_counter() - began) * 1000)

    def p(values: list[float], q: float) -> float:
        return round(sorted(values)[int(len(values) * q)], 3)

    return {
        "insert_case_statements_ms_p50": p(statements, 0.5),
        "insert_case_statements_ms_p95": p(statements, 0.95),
        "insert_case_cpu_ms_this_process_p50": p(cpu, 0.5),
        "insert_case_with_commit_ms_p50": p(timings, 0.5),
        "insert_case_with_commit_ms_p95": p(timings, 0.95),
    }


async def _station(town: str) -> str | None:
    from campaign.regions.queries import derive_station

    return await derive_station(None, town)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument(
        "--inserts-only",
        action="store_true",
        help="only time single inserts, into a database this script loaded before",
    )
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments.cases, arguments.inserts_only))
    print(json.dumps(result, indent=2, ensure_ascii=False))
