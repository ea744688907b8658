"""One command for the figures of benchmarks/README.md, built the way a user builds the data.

    python benchmarks/run_all.py --scale city|province|national [--engine sqlite|postgres]
        [--cases N] [--requests N] [--modules] [--data DIR] [--reuse] [--build-only] [--port P]

In a fresh folder (benchmarks/out/all-<scale>-<engine>/, the CAMPAIGN_VAR) it writes the files a
user would have — regions, stations and N cases as CSV — and loads them through the public CLI
(`campaign migrate`, `campaign import regions|stations|cases`, `campaign createuser`), each
timed end to end (the case import includes the follow-up jobs the command waits for). Then it
measures in-process server CPU per request (p50/p95 over ASGI, the client's share included, so
a little pessimistic but independent of what else the machine runs) for the streak boards, the
API as of today and past days, the home page and the case list, once right after the import
and again after recording one case, and last the latency of recording a case (300 in a row,
as cases_import.py times them: p50/p95 with and without BEGIN and COMMIT). The same moments
over HTTP against `campaign serve` (one worker, one request at a time: p50/p95 latency and the
server's CPU per request from /proc), and
with `wrk` (when installed) the API's throughput as a share of `/healthz`'s in the same run
(with the session cookie, with a Bearer token, and over 120 rotating queries).
--build-only stops after loading (build niced, then measure under the bench lock with --reuse,
which keeps a folder and database that hold a finished load). With --modules it also runs every module's scenario script
present in benchmarks/ (`*_scenarios.py`) with the scale where the script takes one, each into
its own folder. Prints one table and writes benchmarks/out/all-<scale>-<engine>.json.

PostgreSQL: --engine postgres uses BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/bench_<scale>; the database is dropped and created, with
the collation C as docs/operations.md says, unless --reuse finds it loaded).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROOT = HERE.parent
CASES = {"city": 100_000, "province": 1_000_000, "national": 5_000_000}
PASSWORD = "demo2026"


def cli(folder: Path, environment: dict, *args: str) -> float:
    """Run `campaign ARGS` as a user would; returns the seconds it took."""
    command = [str(Path(sys.executable).parent / "campaign"), *args]
    started = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=folder)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"campaign {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def _csv(header: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def place_files(scale: str) -> tuple[bytes, bytes]:
    """The regions and stations files: Ningbo's real divisions with one station per town
    (city), or the synthetic divisions of campaign.demo.synthetic."""
    from campaign.demo import builder, synthetic

    levels = {"district": "区县", "town": "镇街", "village": "村社"}
    if scale == "city":
        regions = builder.NINGBO.read_bytes()
        towns = [
            row
            for row in csv.DictReader(io.StringIO(regions.decode("utf-8-sig")))
            if row["级别"] in ("镇街", "town")
        ]
        stations = [
            (
                builder.station_code(t["区划代码"]),
                builder.station_name(t["名称"]),
                t["上级代码"],
                t["区划代码"],
            )
            for t in towns
        ]
    else:
        records, station_records = synthetic.build(synthetic.SCALES[scale])
        regions = _csv(
            ["区划代码", "名称", "级别", "上级代码", "常住人口"],
            (
                (r.code, r.name, levels[r.level], r.parent_code or "", r.population or "")
                for r in records
            ),
        )
        stations = [(s.code, s.name, s.district_code, ";".join(s.towns)) for s in station_records]
    return regions, _csv(["派出所编码", "名称", "区县代码", "辖区镇街"], stations)


def case_file(regions: bytes, count: int) -> bytes:
    import cases_import

    rows = list(csv.reader(io.StringIO(regions.decode("utf-8-sig"))))[1:]
    villages = [r[0] for r in rows if len(r[0]) == 12]
    towns = [r[0] for r in rows if len(r[0]) == 9]
    return cases_import.case_csv(villages, towns, count)


def paths() -> list[tuple[str, str]]:
    from campaign.timeutil import today

    past = {n: (today() - dt.timedelta(days=n)).isoformat() for n in (9, 30)}
    return [
        ("village board page", "/streaks?level=village"),
        ("town board page", "/streaks?level=town"),
        ("station board page", "/streaks?level=station"),
        ("api village 100", "/api/v1/streaks?level=village&limit=100"),
        ("api village, 9 days back", f"/api/v1/streaks?level=village&limit=100&as_of={past[9]}"),
        ("api village, 30 days back", f"/api/v1/streaks?level=village&limit=100&as_of={past[30]}"),
        ("api town, 30 days back", f"/api/v1/streaks?level=town&limit=100&as_of={past[30]}"),
        ("home", "/"),
        ("case list", "/cases"),
        ("district picker, search", "/pick/district?q=1"),
        ("healthz", "/healthz"),
    ]


def http_paths() -> list[tuple[str, str]]:
    """What the targets name, timed over HTTP: the board pages, the village API today and on
    past days."""
    from campaign.timeutil import today

    past = {n: (today() - dt.timedelta(days=n)).isoformat() for n in (1, 9, 30, 200)}
    return [
        ("village board page", "/streaks?level=village"),
        ("town board page", "/streaks?level=town"),
        ("station board page", "/streaks?level=station"),
        ("api village 100", "/api/v1/streaks?level=village&limit=100"),
        *(
            (f"api village, {n} days back", f"/api/v1/streaks?level=village&limit=100&as_of={d}")
            for n, d in past.items()
        ),
        ("api town, 30 days back", f"/api/v1/streaks?level=town&limit=100&as_of={past[30]}"),
        ("api station, 30 days back", f"/api/v1/streaks?level=station&limit=100&as_of={past[30]}"),
        ("home", "/"),
    ]


def loadavg() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def rotating_paths() -> list[str]:
    """120 distinct API queries (three levels, each as of the last 40 days), for wrk to cycle
    through: the per-process kept boards then serve each after its first request."""
    from campaign.timeutil import today

    return [
        f"/api/v1/streaks?level={level}&limit=100&as_of={today() - dt.timedelta(days=n)}"
        for n in range(40)
        for level in ("village", "town", "station")
    ]


def api_token() -> str:
    """A Bearer token for admin, made the way an integration gets one."""
    command = [str(Path(sys.executable).parent / "campaign"), "token", "create", "admin"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def wrk(
    url: str,
    header: str | None,
    seconds: int = 5,
    connections: int = 4,
    rotate: list[str] | None = None,
) -> float | None:
    """Requests per second from wrk (None when wrk is not installed), sending `header` (the
    session cookie or the Bearer token); with `rotate`, each request takes the next of those
    paths (a Lua script)."""
    binary = shutil.which("wrk")
    if binary is None:
        return None
    command = [binary, "-t1", f"-c{connections}", f"-d{seconds}s", url]
    if header:
        command[1:1] = ["-H", header]
    if rotate:
        script = OUT / "rotate.lua"
        OUT.mkdir(exist_ok=True)
        script.write_text(
            "local paths = {" + ", ".join(json.dumps(p) for p in rotate) + "}\n"
            "local i = 0\n"
            "request = function()\n"
            "  i = i + 1\n"
            '  return wrk.format("GET", paths[(i % #paths) + 1])\n'
            "end\n"
        )
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True).stdout
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit(f"wrk gave no rate:\n{output}")


async def over_http(folder: Path, port: int, requests: int) -> dict[str, dict]:
    """p50/p95 and server CPU per request against `campaign serve` (one worker), one request at
    a time; then wrk: the village API and /healthz, 4 connections, 5 s each."""
    import httpx
    import run as runner

    server = runner.start_server(port, 1, folder / f"serve-{port}.log")
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, dict] = {}
    try:
        await runner.wait_until_up(base, server)
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            await runner.log_in(client, "admin")
            for name, path in http_paths():
                result = await runner.measure(client, server.pid, name, path, requests, 1)
                if result.status != 200 or result.errors:
                    raise SystemExit(f"{path}: HTTP {result.status}, {result.errors} errors")
                figures[name] = {
                    "path": path,
                    "p50_ms": result.p50_ms,
                    "p95_ms": result.p95_ms,
                    "server_cpu_ms": result.server_cpu_ms,
                }
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        api = f"{base}/api/v1/streaks?level=village&limit=100"
        bearer = f"Authorization: Bearer {api_token()}"
        healthz = wrk(f"{base}/healthz", None)
        api_rate = wrk(api, f"Cookie: {cookie}")
        with_token = wrk(api, bearer)
        rotating = wrk(api, bearer, seconds=10, rotate=rotating_paths())
        if healthz and api_rate is not None and with_token and rotating is not None:
            figures["wrk"] = {
                "healthz_per_s": healthz,
                "api_village_per_s": api_rate,
                "ratio": api_rate / healthz,
                "api_token_per_s": with_token,
                "token_ratio": with_token / healthz,
                "api_rotating_per_s": rotating,
                "rotating_ratio": rotating / healthz,
                "loadavg": loadavg(),
            }
    finally:
        runner.stop_server(server)
    return figures


async def server_cpu(requests: int, kept: bool = True) -> dict[str, dict]:
    """CPU per request in-process, as benchmarks/streaks_scenarios.py measures it; with
    kept=False every board is computed (the per-process kept boards are dropped before each
    request), as the first request after a write finds them."""
    import logging

    import httpx

    from campaign.app import create_app
    from campaign.streaks import queries as streaks

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from campaign.db import close_pool, start_pool

    sys.path.insert(0, str(HERE))
    import run as runner

    await start_pool()
    figures: dict[str, dict] = {}
    try:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await runner.log_in(client, "admin")
            for name, path in paths():
                for _ in range(3):
                    await client.get(path)
                costs, walls = [], []
                for _ in range(requests):
                    if not kept:
                        streaks._boards.entries.clear()
                    started, wall = time.process_time(), time.perf_counter()
                    response = await client.get(path)
                    costs.append((time.process_time() - started) * 1000)
                    walls.append((time.perf_counter() - wall) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{path}: HTTP {response.status_code}")
                figures[name] = {
                    "path": path,
                    "cpu_p50_ms": statistics.median(costs),
                    "cpu_p95_ms": statistics.quantiles(costs, n=20)[18],
                    "wall_p50_ms": statistics.median(walls),
                }
    finally:
        await close_pool()
    return figures


async def record_one_case() -> float:
    """One case recorded as the form does (a write use case with its audit entry); ms."""
    from campaign import jobs
    from campaign.accounts import queries as accounts
    from campaign.cases import queries as cases
    from campaign.db import close_pool, start_pool
    from campaign.regions.tables import Region
    from campaign.timeutil import today

    await start_pool()
    try:
        village = await Region.select().where(Region.level == "village").first()
        from piccolo.apps.user.tables import BaseUser

        user_id = await accounts.user_id_by_name("admin")
        row = await BaseUser.select(BaseUser.password).where(BaseUser.id == user_id).first()
        actor = await accounts.user_for_session(user_id, accounts.stamp_for(row["password"]))
        values = dict(
            case_no=f"RUNALL-{time.time_ns()}",
            occurred_on=today(),
            village_code=village["code"],
            town_code=village["town_code"],
            district_code=village["district_code"],
            station_code=None,
            fraud_type="投资理财",
            loss_fen=100_00,
        )
        assert actor is not None
        started = time.perf_counter()
        await cases.create_case(values, actor, "127.0.0.1")
        seconds = time.perf_counter() - started
        await jobs.drain()
        return seconds * 1000
    finally:
        await close_pool()


async def session_user_cost(requests: int = 200) -> dict[str, float]:
    """What resolving the logged-in user costs every request (ms of CPU): the first time (from
    the database) and from the per-session cache afterwards."""
    from piccolo.apps.user.tables import BaseUser

    from campaign.accounts import queries as accounts
    from campaign.db import close_pool, start_pool

    await start_pool()
    try:
        user_id = await accounts.user_id_by_name("admin")
        row = await BaseUser.select(BaseUser.password).where(BaseUser.id == user_id).first()
        assert user_id is not None and row is not None
        stamp = accounts.stamp_for(row["password"])
        started = time.process_time()
        await accounts.user_for_session(user_id, stamp)
        first = (time.process_time() - started) * 1000
        costs = []
        for _ in range(requests):
            started = time.process_time()
            await accounts.user_for_session(user_id, stamp)
            costs.append((time.process_time() - started) * 1000)
        return {
            "first_ms": first,
            "cached_p50_ms": statistics.median(costs),
            "cached_p95_ms": statistics.quantiles(costs, n=20)[18],
        }
    finally:
        await close_pool()


def modules(scale: str, environment: dict, requests: int) -> dict[str, dict]:
    """Every module scenario script in benchmarks/, each in a folder of its own."""
    results = {}
    for script in sorted(HERE.glob("*_scenarios.py")):
        help_text = subprocess.run(
            [sys.executable, str(script), "--help"], capture_output=True, text=True, env=environment
        ).stdout
        args = [sys.executable, str(script)]
        if "{province,national}" in help_text:
            if scale == "city":
                results[script.name] = {"skipped": "takes province or national only"}
                continue
            args.append(scale)
        folder = OUT / f"module-{script.stem}-{scale}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        env = {**environment, "CAMPAIGN_VAR": str(folder)}
        env["DATABASE_URL"] = f"sqlite:///{folder / 'campaign.sqlite3'}"
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT)
        results[script.name] = {
            "exit": done.returncode,
            "seconds": time.perf_counter() - started,
            "tail": done.stdout[-2000:],
        }
    return results


def build(folder: Path, environment: dict, scale: str, count: int) -> dict[str, float]:
    """Load the divisions and N cases through the public CLI; the seconds of each step."""
    load: dict[str, float] = {}
    load["campaign migrate (s)"] = cli(folder, environment, "migrate")
    regions, stations = place_files(scale)
    (folder / "regions.csv").write_bytes(regions)
    (folder / "stations.csv").write_bytes(stations)
    load["import regions (s)"] = cli(folder, environment, "import", "regions", "regions.csv")
    load["import stations (s)"] = cli(folder, environment, "import", "stations", "stations.csv")
    load["import cases (s)"] = 0.0
    for part in file_parts(case_file(regions, count)):
        (folder / "cases.csv").write_bytes(part)
        load["import cases (s)"] += cli(folder, environment, "import", "cases", "cases.csv")
        (folder / "cases.csv").unlink()
    cli(folder, environment, "createuser", "admin", "--role", "admin", "--password", PASSWORD)
    return load


def file_parts(data: bytes) -> list[bytes]:
    """The CSV as files the import takes (at most MAX_IMPORT_BYTES each, the header in each),
    as a user splits the national export: 5,000,000 cases are ≈ 340 MB."""
    from campaign.importing import MAX_IMPORT_BYTES

    header, _, rows = data.partition(b"\n")
    parts, start = [], 0
    while start < len(rows):
        end = start + MAX_IMPORT_BYTES - len(header) - 1
        end = len(rows) if end >= len(rows) else rows.rindex(b"\n", start, end) + 1
        parts.append(header + b"\n" + rows[start:end])
        start = end
    return parts


#: A PostgreSQL database is created as docs/operations.md says: collation C (bytes compared).
CREATEDB_OPTIONS = ("-T", "template0", "--lc-collate=C", "--lc-ctype=C.UTF-8")


def _database(url: str, command: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0].replace("postgresql://", "").split("@")[-1]
    host, _, port = server.partition(":")
    options = CREATEDB_OPTIONS if command == "createdb" else ()
    subprocess.run(
        [command, "-h", host, "-p", port or "5432", "-U", "postgres", *options, name],
        capture_output=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=tuple(CASES), default="city")
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--modules", action="store_true", help="also run every *_scenarios.py")
    parser.add_argument("--data", type=Path, default=None, help="the folder (CAMPAIGN_VAR)")
    parser.add_argument("--reuse", action="store_true", help="keep a finished load")
    parser.add_argument("--build-only", action="store_true", help="load, then stop")
    parser.add_argument("--port", type=int, default=8700, help="for `campaign serve`")
    arguments = parser.parse_args()
    scale, engine = arguments.scale, arguments.engine
    count = arguments.cases or CASES[scale]
    folder = arguments.data or OUT / f"all-{scale}-{engine}"
    built = folder / "built.json"
    reuse = arguments.reuse and built.exists()
    if not reuse:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    # the embedded default throughout, in this process too: with REDIS_URL its in-process steps
    # (each on its own event loop) would share one Redis pool bound to the first loop
    os.environ.pop("REDIS_URL", None)
    environment = dict(os.environ)
    environment["CAMPAIGN_VAR"] = str(folder)
    if engine == "sqlite":
        environment["DATABASE_URL"] = f"sqlite:///{folder / 'campaign.sqlite3'}"
    else:
        url = os.environ.get(
            "BENCH_DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/bench_{scale}"
        )
        if not reuse:
            _database(url, "dropdb")
            _database(url, "createdb")
        environment["DATABASE_URL"] = url
    os.environ.update(environment)
    sys.path.insert(0, str(HERE))

    import run as runner

    figures: dict[str, object] = {"scale": scale, "engine": engine, "cases": count}
    figures["machine"] = runner.machine_speed()
    if reuse:
        load = json.loads(built.read_text())
    else:
        load = build(folder, environment, scale, count)
        built.write_text(json.dumps(load))
    figures["load"] = load
    print(json.dumps(load, indent=2), flush=True)
    if arguments.build_only:
        return 0

    figures["loadavg"] = loadavg()
    figures["http after import"] = asyncio.run(
        over_http(folder, arguments.port, arguments.requests)
    )
    figures["after import"] = asyncio.run(server_cpu(arguments.requests))
    figures["computed, not kept"] = asyncio.run(server_cpu(arguments.requests, kept=False))
    figures["session user (ms)"] = asyncio.run(session_user_cost())
    figures["record one case (ms)"] = asyncio.run(record_one_case())
    figures["after one case"] = asyncio.run(server_cpu(arguments.requests))
    figures["http after one case"] = asyncio.run(
        over_http(folder, arguments.port, arguments.requests)
    )
    # last: it writes 300 more cases, which the figures "after one case" must not see
    import cases_import

    figures["one case, 300 in a row (ms)"] = cases_import.on_server_loop(cases_import.inserts({}))
    if arguments.modules:
        figures["modules"] = modules(scale, environment, arguments.requests)

    lines = [
        f"{scale}, {engine}, {count:,} cases",
        "",
        "| load step | s |",
        "|---|---:|",
        *(f"| {name[:-4]} | {value:.1f} |" for name, value in load.items()),
        f"| record one case (use case, audit included), ms | {figures['record one case (ms)']:.1f} |",
        "| one case, 300 in a row: statements p50 / p95, with BEGIN and COMMIT p50 / p95, the "
        "whole use case (create_case, follow-ups announced) p50 / p95, ms | "
        "{insert_case_statements_ms_p50:.2f} / {insert_case_statements_ms_p95:.2f}, "
        "{insert_case_with_commit_ms_p50:.2f} / {insert_case_with_commit_ms_p95:.2f}, "
        "{create_case_ms_p50:.2f} / {create_case_ms_p95:.2f} |".format(
            **figures["one case, 300 in a row (ms)"]  # type: ignore[arg-type]
        ),
        "",
        "| session user, CPU ms | first | cached p50 | cached p95 |",
        "|---|---:|---:|---:|",
        "| resolve the logged-in user | {first_ms:.2f} | {cached_p50_ms:.3f} | "
        "{cached_p95_ms:.3f} |".format(**figures["session user (ms)"]),  # type: ignore[arg-type]
        "",
        "| page | CPU p50 ms | CPU p95 ms | after one case: p50 | p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    after, computed = figures["after one case"], figures["computed, not kept"]
    lines[-2:] = [
        "| page | CPU p50 ms | CPU p95 ms | after one case: p50 | p95 | not kept: p50 | p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, figure in figures["after import"].items():  # type: ignore[union-attr]
        again, cold = after[name], computed[name]  # type: ignore[index]
        lines.append(
            f"| {name} | {figure['cpu_p50_ms']:.1f} | {figure['cpu_p95_ms']:.1f} | "
            f"{again['cpu_p50_ms']:.1f} | {again['cpu_p95_ms']:.1f} | "
            f"{cold['cpu_p50_ms']:.1f} | {cold['cpu_p95_ms']:.1f} |"
        )
    lines += [
        "",
        "| over HTTP, one worker | p50 ms | p95 ms | cpu ms | after one case: p50 | p95 | cpu |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    http_first, http_again = figures["http after import"], figures["http after one case"]
    for name, figure in http_first.items():  # type: ignore[union-attr]
        if name == "wrk":
            continue
        other = http_again[name]  # type: ignore[index]
        lines.append(
            f"| {name} | {figure['p50_ms']:.1f} | {figure['p95_ms']:.1f} | "
            f"{figure['server_cpu_ms'] or 0:.1f} | {other['p50_ms']:.1f} | "
            f"{other['p95_ms']:.1f} | {other['server_cpu_ms'] or 0:.1f} |"
        )
    for label, run in (("after import", http_first), ("after one case", http_again)):
        if "wrk" in run:  # type: ignore[operator]
            rates = run["wrk"]  # type: ignore[index]
            lines.append(
                f"| wrk {label}: /healthz {rates['healthz_per_s']:.0f}/s; API with the session "
                f"cookie {rates['api_village_per_s']:.0f}/s, ratio **{rates['ratio']:.2f}**; "
                f"with a token {rates['api_token_per_s']:.0f}/s, ratio "
                f"**{rates['token_ratio']:.2f}**; 120 rotating queries (token, 10 s) "
                f"{rates['api_rotating_per_s']:.0f}/s, ratio **{rates['rotating_ratio']:.2f}**; "
                f"load {' '.join(rates['loadavg'])} | | | | | | |"
            )
    lines.append(f"\nload average at start: {' '.join(figures['loadavg'])}")  # type: ignore[arg-type]
    for script, result in figures.get("modules", {}).items():  # type: ignore[union-attr]
        lines.append(f"| module {script} | {result} |")
    print("\n".join(lines))
    OUT.mkdir(exist_ok=True)
    (OUT / f"all-{scale}-{engine}.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False, default=str)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
