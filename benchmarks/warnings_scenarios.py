"""Warnings: push rate through POST /api/v1/warnings and push → station board latency over SSE.

    python benchmarks/warnings_scenarios.py [--rate 500] [--seconds 60] [--batch 50]
        [--streams 1000] [--watchers 1000] [--workers 2] [--stored 0] [--port 0]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is emptied first by `--reset`): Ningbo's regions through the normal import
and one station per town (what `campaign demo` loads), an administrator with an API token and a
coordinator of 附海派出所. Optionally `--stored N` warnings are bulk-loaded first (the board page
is then timed with that many rows). Then a real `campaign serve` process (REDIS_URL is passed
through, so `--workers 2` fans out over Redis pub/sub) gets:

- `--streams` open board streams (GET /warnings/stream, raw sockets: a cheap client), of which
  `--watchers` are 附海派出所's coordinator's and the rest other stations' coordinators' (boards
  that hear nothing of these pushes but are held open all the same);
- `--rate` warnings a second for `--seconds` seconds, half as singles and half in batches of
  `--batch`, all for 附海镇 so every one must reach every watching board.

It checks that every warning was stored exactly once (one row, one "new" board event), routed
to PS330282108 and shown on every watching board exactly once (Deliveries), and prints the
achieved push rate, the p50/p95/p99 from the push request being sent to the warning arriving on
the last watching board, the server's CPU time per warning (all its processes, from /proc) and
this client's, and the board page's p50/p95. `--stored N` first COPYs N warnings
spread over every station and the past year. Writes benchmarks/out/warnings.json. The pushed
warnings are deleted at the end (they would pile up as one station's open backlog run after run).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

OUT = Path(__file__).resolve().parent / "out"
PASSWORD = "bench2026"
STATION, TOWN = "PS330282108", "330282108"
#: Keep-alive connections the pusher posts over.
CONNECTIONS = 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def prepare(stored: int, others: int) -> tuple[str, int, list[str]]:
    """Migrate, load Ningbo and its stations, users; returns the admin's API token, the last
    board event id (the streams start after it) and the other stations' coordinators."""
    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.cases.queries import seed_reference_lists
    from campaign.demo.builder import NINGBO, generate_stations
    from campaign.regions.imports import import_file
    from campaign.regions.tables import Region

    await migrate()
    if not await Region.exists():
        await import_file("regions", NINGBO.name, NINGBO.read_bytes(), dry_run=False, actor=None)
        await generate_stations()
        await seed_reference_lists()
    from campaign.regions.tables import Station

    codes = [r["code"] for r in await Station.select(Station.code).order_by(Station.code)]
    other_codes = [c for c in codes if c != STATION][:others]
    users = [("bench-admin", "admin", None), ("bench-fuhai", "coordinator", STATION)]
    users += [(f"bench-{code}", "coordinator", code) for code in other_codes]
    for name, role, unit in users:
        if await accounts.user_id_by_name(name) is None:
            kind = "station" if unit else None
            await accounts.create_user(name, PASSWORD, name, role, kind, unit, None)
    if stored:
        await preload(stored)
        await analyze()
    from campaign.warnings.queries import last_event_id

    token = await accounts.create_token(await accounts.user_id_by_name("bench-admin"), "bench")
    return token, await last_event_id(), [f"bench-{code}" for code in other_codes]


async def preload(n: int) -> None:
    """n warnings over the past year, spread evenly over every station's towns (附海 gets its
    share), mostly closed, the last two days' partly open; COPY on PostgreSQL."""
    from campaign.db import insert_many, write_transaction
    from campaign.regions.tables import Region, StationTown
    from campaign.warnings.rules import WarningRecord
    from campaign.warnings.tables import Warning

    districts = {
        r["code"]: r["district_code"]
        for r in await Region.select(Region.code, Region.district_code).where(
            Region.level == "town"
        )
    }
    places = [
        (r["station_code"], r["town_code"], districts.get(r["town_code"]))
        for r in await StationTown.select(StationTown.station_code, StationTown.town_code)
    ]
    rng = random.Random(9)
    now = dt.datetime.now(dt.UTC)
    columns = WarningRecord.STORED + (
        "source",
        "status",
        "acknowledged_by",
        "closed_at",
        "closed_by",
        "officer_name",
        "auxiliary_name",
        "grid_worker_name",
        "contact_method",
        "outcome",
        "amount_stopped_fen",
        "notes",
        "ack_overdue",
        "contact_overdue",
        "is_demo",
        "created_at",
        "updated_at",
    )
    for start in range(0, n, 50_000):
        rows = []
        for i in range(start, min(n, start + 50_000)):
            station, town, district = places[i % len(places)]
            issued = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
            fresh = now - issued < dt.timedelta(days=2)
            status = rng.choice(("new", "acknowledged", "closed")) if fresh else "closed"
            closed = status == "closed"
            rows.append(
                (
                    f"PRE{i:08d}",
                    issued,
                    issued.astimezone(dt.timezone(dt.timedelta(hours=8))).date(),
                    rng.choice(("high", "medium", "low")),
                    f"{i:064x}",
                    "138****0000",
                    town,
                    None,
                    town,
                    district,
                    "",
                    None,
                    station,
                    "刷单",
                    500000,
                    "涉诈电话",
                    f"{i:064x}",
                    "api",
                    status,
                    "",
                    issued + dt.timedelta(hours=2) if closed else None,
                    "bench" if closed else "",
                    "",
                    "",
                    "",
                    "phone" if closed else "",
                    "dissuaded" if closed else None,
                    0,
                    "",
                    False,
                    False,
                    False,
                    now,
                    now,
                )
            )
        async with write_transaction():
            await insert_many(Warning, columns, rows)


async def analyze() -> None:
    """PostgreSQL: VACUUM (ANALYZE) the warnings and board events after the bulk load and after
    a run's pushes are deleted, as autovacuum would. The shared bench server runs with
    autovacuum off: without statistics, and with the deleted pushes' dead rows in the indexes,
    the board page's header counts took 21 ms instead of 2."""
    from campaign.db import is_sqlite
    from campaign.warnings.tables import BoardEvent, Warning

    if not is_sqlite():
        tables = ", ".join(t._meta.tablename for t in (Warning, BoardEvent))
        await Warning.raw(f"VACUUM (ANALYZE) {tables}")


def item(number: str) -> dict:
    return {
        "warning_id": number,
        "issued_at": dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime(
            "%Y-%m-%d %H:%M:%S"
        ),
        "risk_level": random.choice("高中低"),
        "phone": f"13{random.randrange(10**9):09d}",
        "region_code": TOWN,
        "fraud_type": "刷单",
    }


async def login(client: httpx.AsyncClient, username: str = "bench-fuhai") -> str:
    """Logs the client in; returns its Cookie header for raw-socket streams."""
    await client.get("/login")
    token = client.cookies.get("campaign_csrf")
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "_csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


#: A row on a board names its warning once, in this attribute (templates/warnings/_row.html).
NUMBER = re.compile(rb'data-warning="([^"]*)"')


class Deliveries:
    """What the watching boards received, counted by scanning bytes (a regex over each read, no
    event parsed one by one): the measuring client shares the server's two cores, and 100
    watching boards at 500 warnings/s are 50,000 events a second. Per warning, when the latest
    board got it and how many boards did; per board, how many rows it got and the sum of their
    numbers' hashes, which equal len(sent) and the sent numbers' sum only when that board got
    every warning exactly once (a duplicate and a miss would have to cancel out in a 64-bit
    hash sum)."""

    def __init__(self) -> None:
        self.latest: dict[bytes, float] = {}
        self.counts: Counter[bytes] = Counter()
        self.boards: list[list[int]] = []

    def board(self) -> list[int]:
        tally = [0, 0]
        self.boards.append(tally)
        return tally

    def exactly_once(self, sent: dict[bytes, float]) -> int:
        """The boards that got every sent warning exactly once."""
        expected = [len(sent), sum(map(hash, sent))]
        return sum(1 for tally in self.boards if tally == expected)


async def board_stream(port: int, cookie: str, after: int, deliveries: Deliveries | None, ready):
    """One board's stream over a raw socket (an httpx client per stream would cost the measuring
    process more than the server). `deliveries` None: hold the stream open and discard what
    comes; else count what arrives into it, whole events at a time (up to the last blank line:
    a row never has one, and the chunked encoding's framing lies between events)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /warnings/stream?after={after} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    assert b" 200 " in status, status
    ready.set()
    tail = b""
    if deliveries is not None:
        tally = deliveries.board()
        latest, counts = deliveries.latest, deliveries.counts
    try:
        while chunk := await reader.read(262144):
            if deliveries is None:
                continue
            data = tail + chunk if tail else chunk
            cut = data.rfind(b"\r\n\r\n") + 4
            if cut < 4:
                tail = data
                continue
            numbers = NUMBER.findall(data, 0, cut)
            tail = data[cut:]
            if numbers:
                latest.update(dict.fromkeys(numbers, time.perf_counter()))
                counts.update(numbers)
                tally[0] += len(numbers)
                tally[1] += sum(map(hash, numbers))
    finally:
        writer.close()


async def poster(port: int, token: str, jobs: asyncio.Queue, statuses: list) -> None:
    """One keep-alive connection posting what `jobs` brings (a raw socket: httpx cost the
    measuring client about a millisecond a request)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /api/v1/warnings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    try:
        while (body := await jobs.get()) is not None:
            writer.write(b"%s%d\r\n\r\n%s" % (head, len(body), body))
            status = int((await reader.readline()).split()[1])
            length = None
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            assert length is not None, "the API answers with a Content-Length"
            await reader.readexactly(length)
            statuses.append(status)
    finally:
        writer.close()


async def pusher(port: int, token: str, args, sent: dict, statuses: list) -> float:
    """`args.rate` warnings a second over 32 connections, half singles, half batches; a warning's
    clock starts when its request is due (waiting for a free connection counts)."""
    jobs: asyncio.Queue = asyncio.Queue()
    posters = [asyncio.create_task(poster(port, token, jobs, statuses)) for _ in range(CONNECTIONS)]
    total = args.rate * args.seconds
    started = time.perf_counter()
    n = 0
    while n < total:
        due = started + n / args.rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        size = 1 if n % (2 * args.batch) < args.batch else min(args.batch, total - n)
        items = [item(f"B{os.getpid()}-{n + i}") for i in range(size)]
        now = time.perf_counter()
        for one in items:
            sent[one["warning_id"].encode()] = now
        jobs.put_nowait(json.dumps(items[0] if size == 1 else items).encode())
        n += size
    for _ in posters:
        jobs.put_nowait(None)
    await asyncio.gather(*posters)
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def server_cpu_seconds(pid: int) -> float:
    """utime + stime of the server and its --workers children (one process group)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:  # process group
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def start_server(workers: int, log, port: int) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    command = [str(Path(sys.executable).parent / "campaign"), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base


def stop_server(server: subprocess.Popen) -> None:
    """The server and its --workers children (one process group)."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


async def measure(args, base: str, token: str, after: int, others: list[str], pid: int) -> dict:
    async with httpx.AsyncClient(base_url=base) as client:
        cookie = await login(client)
        board_times = []
        page_cpu = server_cpu_seconds(pid)
        for _ in range(args.requests):
            t = time.perf_counter()
            response = await client.get("/warnings")
            board_times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        page_cpu = server_cpu_seconds(pid) - page_cpu
    other_cookies = []
    for name in others:
        async with httpx.AsyncClient(base_url=base) as client:
            other_cookies.append(await login(client, name))
    port = int(base.rsplit(":", 1)[1])
    sent: dict[bytes, float] = {}
    deliveries = Deliveries()
    readies = [asyncio.Event() for _ in range(args.streams)]
    streams = []
    for i, ready in enumerate(readies):
        watching = i < args.watchers or not other_cookies
        own = cookie if watching else other_cookies[i % len(other_cookies)]
        streams.append(
            asyncio.create_task(
                board_stream(port, own, after, deliveries if watching else None, ready)
            )
        )
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not open a thousand connections in one burst
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 300)
    statuses: list = []
    cpu, client_cpu = server_cpu_seconds(pid), time.process_time()
    elapsed = await pusher(port, token, args, sent, statuses)
    deadline = time.perf_counter() + 15
    watchers = min(args.watchers, args.streams)
    while (  # noqa: ASYNC110
        deliveries.counts.total() < len(sent) * watchers and time.perf_counter() < deadline
    ):
        await asyncio.sleep(0.2)
    cpu, client_cpu = server_cpu_seconds(pid) - cpu, time.process_time() - client_cpu
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    latencies = [(deliveries.latest[n] - sent[n]) * 1000 for n in sent if n in deliveries.latest]
    return {
        "sent": [n.decode() for n in sent],
        "pushed": len(sent),
        "achieved_rate": round(len(sent) / elapsed, 1),
        "http_statuses": {str(s): statuses.count(s) for s in set(statuses)},
        "arrived_on_a_board": sum(1 for n in sent if n in deliveries.latest),
        "arrived_on_every_watching_board": sum(1 for n in sent if deliveries.counts[n] == watchers),
        "boards_with_every_warning_once": deliveries.exactly_once(sent),
        "deliveries": deliveries.counts.total(),
        "push_to_last_watching_board_ms": {p: pct(latencies, p) for p in (50, 95, 99)},
        "client_cpu_ms_per_warning": round(client_cpu * 1000 / max(1, len(sent)), 2),
        "server_cpu_ms_per_warning": round(cpu * 1000 / max(1, len(sent)), 2),
        "board_page_ms": {"p50": statistics.median(board_times), "p95": pct(board_times, 95)},
        "board_page_server_cpu_ms": round(page_cpu * 1000 / max(1, args.requests), 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


async def verify(numbers: list[str]) -> dict:
    """Every pushed warning stored exactly once (the key is unique) and routed to the station."""
    from campaign.warnings.tables import BoardEvent, Warning

    stored = routed = events = 0
    for i in range(0, len(numbers), 500):
        chunk = numbers[i : i + 500]
        stored += await Warning.count().where(Warning.warning_no.is_in(chunk))
        routed += await Warning.count().where(
            Warning.warning_no.is_in(chunk), Warning.station_code == STATION
        )
        ids = [
            r["id"] for r in await Warning.select(Warning.id).where(Warning.warning_no.is_in(chunk))
        ]
        if ids:
            events += await BoardEvent.count().where(
                BoardEvent.warning_id.is_in(ids), BoardEvent.kind == "new"
            )
    return {
        "stored_once": stored,
        "routed_to_station": routed,
        "new_events": events,
        "warnings_in_db": await Warning.count(),
    }


async def forget(numbers: list[str]) -> None:
    """Delete the pushed warnings and their board events, so the next run against the same
    database measures the same stored warnings: they all stay open at one station, a backlog
    that grows by `--rate` x `--seconds` a run and that no real station has."""
    from campaign.db import write_transaction
    from campaign.warnings.tables import BoardEvent, Warning

    for i in range(0, len(numbers), 500):
        chunk = numbers[i : i + 500]
        async with write_transaction():
            ids = [
                r["id"]
                for r in await Warning.select(Warning.id).where(Warning.warning_no.is_in(chunk))
            ]
            if ids:
                await BoardEvent.delete().where(BoardEvent.warning_id.is_in(ids))
                await Warning.delete().where(Warning.id.is_in(ids))
    await analyze()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--watchers", type=int, default=1000, help="streams of 附海派出所")
    parser.add_argument("--others", type=int, default=50, help="other stations' coordinators")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--prepare-only", action="store_true", help="load (niced, before taking the bench lock)"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--stored", type=int, default=0)
    parser.add_argument("--requests", type=int, default=50, help="board page requests timed")
    parser.add_argument("--keep", help="reuse this CAMPAIGN_VAR")
    args = parser.parse_args()
    var = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="campaign-warn-bench-"))
    var.mkdir(parents=True, exist_ok=True)
    os.environ["CAMPAIGN_VAR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    token, after, others = asyncio.run(prepare(args.stored, args.others))
    if args.prepare_only:
        return
    if args.watchers >= args.streams:
        others = []
    with (var / "server.log").open("wb") as log:
        server, base = start_server(args.workers, log, args.port)
        try:
            measured = asyncio.run(measure(args, base, token, after, others, server.pid))
        finally:
            stop_server(server)
    result = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": "sqlite" if os.environ["DATABASE_URL"].startswith("sqlite") else "postgresql",
        "redis": bool(os.environ.get("REDIS_URL")),
        "workers": args.workers,
        "streams": args.streams,
        "watchers": min(args.watchers, args.streams),
        "stored_before": args.stored,
        "target_rate": args.rate,
        **{k: v for k, v in measured.items() if k != "sent"},
        **asyncio.run(verify(measured["sent"])),
    }
    asyncio.run(forget(measured["sent"]))
    OUT.mkdir(exist_ok=True)
    (OUT / "warnings.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
