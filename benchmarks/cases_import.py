"""Cases at province scale: `campaign import cases` of 1,000,000 rows end to end, and recording
one case.

    # once, niced: an empty database loaded with the synthetic province and a CSV of N cases
    # (PostgreSQL: created as docs/operations.md says, e.g.
    #  createdb -T template0 --lc-collate=C --lc-ctype=C.UTF-8 bench_import_tpl)
    DATABASE_URL=… CAMPAIGN_VAR=… nice python benchmarks/cases_import.py prepare --csv /tmp/import-cases.csv
    # the timed run (under the bench lock): a copy of that database, then the CLI
    DATABASE_URL=… CAMPAIGN_VAR=… flock /work/wt/bench.lock python benchmarks/cases_import.py run --csv …

`prepare` migrates, loads ≈90 districts, 1,400 towns, 25,000 villages and 1,200 stations
(campaign.demo.synthetic) and writes a seeded CSV (every row valid, villages and town-coded
cases mixed, dates in the last year, a tenth with a time of day, aliases for fraud types). `run`
copies that database (SQLite: the file, into CAMPAIGN_VAR + "-run"; PostgreSQL: CREATE DATABASE
… TEMPLATE, named <db>_run), then times

  1. `campaign import cases FILE` as a separate process, end to end (start-up, read, validate,
     compare, write, case days, unit summaries and last case days rebuilt, follow-up jobs
     drained): wall time, the process's CPU seconds and peak memory (ru_maxrss), and the
     seconds of each stage from the progress lines the command prints;
  2. the same command again (nothing changes);
  3. recording one case as the form does — `insert_case` and its audit entry — p50/p95 of 300,
     the statements alone and with the transaction's begin and commit (the commit's fsync is
     the disk's); then 300 through the whole use case (`create_case`: the same, then the
     follow-up jobs announced — queued in Redis with REDIS_URL); the jobs run between cases.
     These run on the event loop the server's requests run on (uvloop: on_server_loop).

Prints the figures as JSON (also written to benchmarks/out/cases-<engine>.json), with the
machine's speed on the day (run.machine_speed) to compare runs from different days.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

OUT = Path(__file__).resolve().parent / "out"
T = TypeVar("T")
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


async def prepare() -> tuple[list[str], list[str]]:
    """The province loaded into the empty database; returns its village and town codes."""
    from campaign.bootstrap import migrate
    from campaign.db import close_pool, start_pool
    from campaign.demo import synthetic
    from campaign.regions.tables import Region

    await migrate()
    await start_pool()
    try:
        if await Region.exists():
            raise SystemExit("the database must be empty (use a fresh CAMPAIGN_VAR / database)")
        regions, stations = synthetic.build(synthetic.SCALES["province"])
        await synthetic.write(regions, stations)
    finally:
        await close_pool()
    villages = [r.code for r in regions if r.level == "village"]
    return villages, [r.code for r in regions if r.level == "town"]


def fresh_copy() -> dict:
    """The environment of a copy of the prepared database."""
    # the command runs its follow-up jobs itself (REDIS_URL would queue them for a worker, and the
    # import would be timed without them); the one-case figures keep Redis when it is set
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base, name = url.rsplit("/", 1)
        run_name = f"{name}_run"
        host = ["-h", "127.0.0.1", "-U", "postgres"]
        subprocess.run(["dropdb", *host, "--if-exists", run_name], check=True)
        subprocess.run(["createdb", *host, "-T", name, run_name], check=True)
        env["DATABASE_URL"] = f"{base}/{run_name}"
    else:
        template = Path(os.environ["CAMPAIGN_VAR"])
        copy = Path(f"{template}-run")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(template, copy)
        env["CAMPAIGN_VAR"] = str(copy)
    return env


def time_cli(env: dict, path: Path, follow_up_limit: float) -> dict:
    """`campaign import cases FILE` in a child process: wall, CPU, peak memory, and the seconds
    of each stage from its progress lines (echoed as they come). The other domains' follow-up
    jobs, which the command waits for, are cut off after `follow_up_limit` seconds."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(Path(sys.executable).parent / "campaign"), "import", "cases", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None and child.stdout is not None
    marks: list[tuple[str, float]] = []
    for line in child.stderr:
        print(line.rstrip(), file=sys.stderr)
        if line.rstrip().endswith(" s)"):
            marks.append((line.split(" ")[0], float(line.rsplit("(", 1)[1].split(" ")[0])))
        if marks and marks[-1][0] == "follow-up":
            break
    try:
        child.wait(timeout=follow_up_limit)
        cut = False
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        cut = True
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    stages: dict[str, float] = {}
    for (stage, at), (_next, until) in zip(marks, [*marks[1:], ("end", wall)], strict=True):
        stages[stage] = round(stages.get(stage, 0) + until - at, 2)
    return {
        "seconds_to_summary": marks[-1][1] if marks else None,
        "seconds_with_follow_ups": None if cut else round(wall, 2),
        "follow_ups_cut_off_after_s": follow_up_limit if cut else None,
        "cpu_seconds_children_total": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb_children": round(usage.ru_maxrss / 1024),
        "stages": stages,
        "summary": child.stdout.read().strip(),
        "load_average": Path("/proc/loadavg").read_text().split()[:3],
    }


async def inserts(env: dict) -> dict:
    from campaign.db import close_pool, is_sqlite, start_pool
    from campaign.regions.tables import Region

    await start_pool()
    try:
        rows = await Region.select(Region.code).where(Region.level == "village")
        result = {"engine": "sqlite" if is_sqlite() else "postgresql"}
        result |= await time_inserts([r["code"] for r in rows], f"R{time.time_ns()}-")
    finally:
        await close_pool()
    return result


def on_server_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on the event loop the app's requests run on: uvicorn takes uvloop where it
    is installed (a write's hops to the database's thread and its round trips cost ~10 % less
    there than on asyncio's own loop)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def run(path: Path, follow_up_limit: float) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run as runner

    machine = runner.machine_speed()
    env = fresh_copy()
    first = time_cli(env, path, follow_up_limit)
    print(json.dumps(first), file=sys.stderr)
    again = time_cli(env, path, follow_up_limit)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CAMPAIGN_VAR") if k in env})
    result = on_server_loop(inserts(env))
    result |= {"import": first, "reimport_unchanged": again, "machine": machine}
    OUT.mkdir(exist_ok=True)
    (OUT / f"cases-{result['engine']}.json").write_text(json.dumps(result, indent=2))
    return result


async def time_inserts(villages: list[str], prefix: str, count: int = 300, seed: int = 11) -> dict:
    """Single cases in random villages as create_case records them (the audit entry, then
    insert_case), each in its own write transaction; then through create_case itself, which
    also announces the follow-up jobs (as the app subscribes them: the review sweep, the streak
    refresh …). Those run after each case, untimed: without Redis they run in this process and
    would otherwise overlap the next case."""
    import campaign.worker  # noqa: F401  (subscribes the follow-up jobs, as the app does)
    from campaign import jobs
    from campaign.accounts.audit import record_audit
    from campaign.cases import queries
    from campaign.db import write_transaction
    from campaign.generations import CASES

    rng = random.Random(seed)
    timings, statements, cpu = [], [], []
    for i in range(count):
        values = await _case(rng.choice(villages), f"{prefix}{i:05d}")
        began = time.perf_counter()
        async with write_transaction(CASES):  # as create_case's audited(…, CASES)
            inside, inside_cpu = time.perf_counter(), time.process_time()
            await record_audit(
                None,
                "case.create",
                f"case:{values['case_no']}",
                "bench",
                {k: str(v) for k, v in values.items()},
            )
            await queries.insert_case(values)
            statements.append((time.perf_counter() - inside) * 1000)
            cpu.append((time.process_time() - inside_cpu) * 1000)
        timings.append((time.perf_counter() - began) * 1000)
    # the whole use case the form calls: the same, then the follow-up jobs announced (queued in
    # Redis with REDIS_URL, started in this process without)
    use_case = []
    for i in range(count):
        values = await _case(rng.choice(villages), f"{prefix}U{i:05d}")
        began = time.perf_counter()
        await queries.create_case(values, None, "127.0.0.1")  # type: ignore[arg-type]
        use_case.append((time.perf_counter() - began) * 1000)
        await jobs.drain()

    def p(values: list[float], q: float) -> float:
        return round(sorted(values)[int(len(values) * q)], 3)

    return {
        "create_case_ms_p50": p(use_case, 0.5),
        "create_case_ms_p95": p(use_case, 0.95),
        "insert_case_statements_ms_p50": p(statements, 0.5),
        "insert_case_statements_ms_p95": p(statements, 0.95),
        "insert_case_cpu_ms_this_process_p50": p(cpu, 0.5),
        "insert_case_with_commit_ms_p50": p(timings, 0.5),
        "insert_case_with_commit_ms_p95": p(timings, 0.95),
    }


async def _case(village: str, case_no: str) -> dict:
    """A new case of today in a village, as the form stores it."""
    from campaign.timeutil import today

    return dict(
        case_no=case_no,
        occurred_on=today(),
        village_code=village,
        town_code=village[:9],
        district_code=village[:6],
        station_code=await _station(village[:9]),
        fraud_type="贷款",
        loss_fen=100,
    )


async def _station(town: str) -> str | None:
    from campaign.regions.queries import derive_station

    return await derive_station(None, town)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("prepare", "run"))
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, default=Path("/tmp/import-cases.csv"))
    parser.add_argument("--follow-up-limit", type=float, default=60, help="seconds")
    arguments = parser.parse_args()
    if arguments.step == "prepare":
        villages, towns = asyncio.run(prepare())
        arguments.csv.write_bytes(case_csv(villages, towns, arguments.cases))
        print(f"{arguments.cases:,} rows in {arguments.csv}", file=sys.stderr)
    else:
        print(
            json.dumps(run(arguments.csv, arguments.follow_up_limit), indent=2, ensure_ascii=False)
        )
