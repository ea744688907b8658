"""Mixed-role load against a real `campaign serve` on loopback: leaders refreshing boards,
coordinators browsing events and logging events with photos, teams downloading materials,
volunteers signing up, warnings pushed through the API and the warnings desk.

    CAMPAIGN_VAR=/tmp/load campaign demo --no-serve      # demo data once
    CAMPAIGN_VAR=/tmp/load python benchmarks/load_mixed.py --clients 20 --seconds 600
    DATABASE_URL=postgresql://… REDIS_URL=redis://127.0.0.1:6379/7 CAMPAIGN_VAR=/tmp/load \
        python benchmarks/load_mixed.py --workers 2 --with-worker --clients 40 --seconds 600

Bounded on purpose: it starts its own server (and with `--with-worker` its own `campaign
worker`) on 127.0.0.1, never another host; at most 50 clients and 600 seconds; each reading
client waits 0.2–1 s between requests like a person, each writing client 2–5 s. Prints
p50/p95/p99 per scenario and the error count (anything but 2xx/3xx, or a transport error);
the first errors' status and path are printed too, so that a non-zero count can be chased.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    free_port,
    log_in,
    server_cpu_seconds,
    start_server,
    stop_server,
    wait_until_up,
)

ROOT = Path(__file__).resolve().parent.parent
#: The coordinator who logs events, and the town whose villages the events are held in.
COORDINATOR, COORDINATOR_TOWN = "coord_baisha", "330282005"
#: Warnings pushed through the API land in 附海镇 (慈溪市), as the demo's warnings do.
WARNING_TOWN = "330282108"
LOCAL = dt.timezone(dt.timedelta(hours=8))

#: scenario → (demo user or None for anonymous, the pages it cycles through); upper-case entries
#: are actions (see `step`).
SCENARIOS = {
    "leader boards": ("leader", ["/leaders", "/leaders/part/streaks", "/streaks", "/contests"]),
    "coordinator events": (COORDINATOR, ["/events", "/events/calendar", "/events/new", "/"]),
    "coordinator logs event+photo": (COORDINATOR, ["LOG_EVENT"]),
    "team downloads": ("team_dashu", ["/materials", "/materials?sort=popular", "DOWNLOAD"]),
    "volunteer sign-up": (None, ["SIGN_UP"]),
    "warnings pushed (API)": (None, ["PUSH_WARNING"]),
    "warnings desk": ("admin", ["/warnings", "/cases", "/regions?q=新"]),
}
WRITES = {"LOG_EVENT", "SIGN_UP", "PUSH_WARNING"}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def photo_bytes() -> bytes:
    """A 1200×900 JPEG with some texture (≈100 KB), like a compressed phone photo."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 900), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    rng = random.Random(7)
    for _ in range(300):
        x, y = rng.randrange(1200), rng.randrange(900)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(80), y + rng.randrange(80)), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def villages_of(town: str) -> list[str]:
    lines = (ROOT / "campaign/regions/data/ningbo-2023.csv").read_text("utf-8").splitlines()
    return [code for code in (line.split(",")[0] for line in lines) if code.startswith(town)][
        :50
    ] or [town]


async def prepare() -> dict:
    """What the writers need from the database the server uses: an API token for the warnings
    pusher and a recruiter's sign-up link (signed with the same SECRET_KEY)."""
    from campaign import db
    from campaign.accounts import queries as accounts
    from campaign.volunteers import queries, rules
    from campaign.volunteers.tables import Propagandist

    await db.start_pool()
    try:
        admin = await accounts.user_id_by_name("admin")
        assert admin is not None, "the demo data are not loaded"
        api_token = await accounts.create_token(admin, "load_mixed")
        row = await (
            Propagandist.select(Propagandist.id)
            .where(Propagandist.status == rules.APPROVED)
            .first()
        )
        assert row is not None, "no approved propagandist in the demo data"
        recruiter = await queries.propagandist(row["id"])
        villages = [v.code for g in await queries.area_villages(recruiter.area) for v in g.villages]
        return {
            "api_token": api_token,
            "recruit": rules.recruit_token(recruiter.id, recruiter.area, queries.secret()),
            "villages": villages,
        }
    finally:
        await db.close_pool()


class Writer:
    """The form bodies of the writing scenarios; every write is new (fresh token, phone, id)."""

    def __init__(self, prepared: dict):
        self.prepared = prepared
        self.photo = photo_bytes()
        self.event_villages = villages_of(COORDINATOR_TOWN)
        self.type_ids: list[str] = []
        self.counter = 0
        self.run = f"{os.getpid() % 1000:03d}{random.randrange(1000):03d}"

    def next(self) -> int:
        self.counter += 1
        return self.counter

    async def log_event(self, client: httpx.AsyncClient) -> httpx.Response:
        if not self.type_ids:
            form = (await client.get("/events/new")).text
            block = form.split('name="type_id"', 1)[-1].split("</select>", 1)[0]
            self.type_ids = re.findall(r'<option value="(\d+)"', block) or ["1"]
        now = dt.datetime.now(LOCAL)
        start = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0))
        data = {
            "_csrf_token": client.cookies.get("campaign_csrf") or "",
            "token": uuid.uuid4().hex,
            "type_id": random.choice(self.type_ids),
            "place_code": random.choice(self.event_villages),
            "day": now.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "end": now.strftime("%H:%M"),
            "households": "30",
            "attendees": "60",
            "audiences": "老人",
            "confirm_duplicate": "1",
        }
        files = [("photos", ("现场.jpg", self.photo, "image/jpeg"))]
        return await client.post("/events", data=data, files=files)

    async def sign_up(self, client: httpx.AsyncClient) -> httpx.Response:
        n = self.next()
        # Phones behind a proxy: each sign-up from its own address (one address is throttled).
        address = {"X-Forwarded-For": f"10.{n // 60000 % 250}.{n // 250 % 240}.{n % 250 + 1}"}
        path = f"/v/j/{self.prepared['recruit']}"
        client.cookies.clear()
        await client.get(path, headers=address)
        data = {
            "nickname": f"压测{n}",
            "phone": f"166{self.run[:4]}{n:04d}"[-11:],
            "village": random.choice(self.prepared["villages"]),
            "_csrf_token": client.cookies.get("campaign_csrf") or "",
        }
        return await client.post(path, data=data, headers=address)

    async def push_warning(self, client: httpx.AsyncClient) -> httpx.Response:
        body = {
            "warning_id": f"LOAD{self.run}-{self.next()}",
            "issued_at": dt.datetime.now(LOCAL).strftime("%Y-%m-%d %H:%M:%S"),
            "risk_level": random.choice("高中低"),
            "phone": f"13{random.randrange(10**9):09d}",
            "region_code": WARNING_TOWN,
            "fraud_type": "刷单",
        }
        headers = {"Authorization": f"Bearer {self.prepared['api_token']}"}
        return await client.post("/api/v1/warnings", json=body, headers=headers)


async def step(client: httpx.AsyncClient, path: str, writer: Writer, ids: list[str]):
    if path == "LOG_EVENT":
        return await writer.log_event(client)
    if path == "SIGN_UP":
        return await writer.sign_up(client)
    if path == "PUSH_WARNING":
        return await writer.push_warning(client)
    if path == "DOWNLOAD":
        if not ids:
            listing = await client.get("/materials")
            ids += re.findall(r'href="/materials/(\d+)"', listing.text)[:20]
        path = f"/materials/{random.choice(ids or ['1'])}/download"
    return await client.get(path)


async def client_loop(
    base: str,
    scenario: str,
    stop_at: float,
    results: dict,
    writer: Writer,
    leader: str,
    logins: asyncio.Lock,
) -> None:
    user, paths = SCENARIOS[scenario]
    user = leader if user == "leader" else user
    # Idle connections are dropped by the client well before the server's keep-alive ends.
    limits = httpx.Limits(keepalive_expiry=30)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        if user:
            async with logins:  # one at a time: a parallel burst on one account is refused
                await log_in(client, user)
        material_ids: list[str] = []
        while time.monotonic() < stop_at:
            path = random.choice(paths)
            started = time.perf_counter()
            try:
                answer = await step(client, path, writer, material_ids)
                ok = answer.status_code < 400
                problem = f"{answer.status_code} {answer.request.url.path}"
            except httpx.HTTPError as error:
                ok, problem = False, f"{type(error).__name__} {path}"
            results[scenario]["latency"].append(time.perf_counter() - started)
            if not ok:
                results[scenario]["errors"] += 1
                results["problems"].append(problem)
            pause = (2.0, 5.0) if path in WRITES else (0.2, 1.0)
            await asyncio.sleep(random.uniform(*pause))


def start_worker(log: Path) -> subprocess.Popen | None:
    """`campaign worker` in its own process group (thumbnails, warnings follow-ups, cron)."""
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("--with-worker needs REDIS_URL")
    command = shutil.which("campaign", path=str(Path(sys.executable).parent)) or "campaign"
    return subprocess.Popen(
        [command, "worker"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


async def main_async(args) -> int:
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    writer = Writer(await prepare())
    server = start_server(port, args.workers, Path(args.log))
    worker = start_worker(Path(args.log + ".worker")) if args.with_worker else None
    results: dict = {name: {"latency": [], "errors": 0} for name in SCENARIOS}
    results["problems"] = []
    try:
        await wait_until_up(base, server)
        cpu_before = server_cpu_seconds(server.pid) or 0.0
        stop_at = time.monotonic() + args.seconds
        names = list(SCENARIOS)
        logins = asyncio.Lock()
        await asyncio.gather(
            *(
                client_loop(
                    base, names[i % len(names)], stop_at, results, writer, args.leader, logins
                )
                for i in range(args.clients)
            )
        )
        cpu = (server_cpu_seconds(server.pid) or 0.0) - cpu_before
    finally:
        stop_server(server)
        if worker is not None:
            stop_worker(worker)
    problems = results.pop("problems")
    print(f"{args.clients} clients, {args.seconds} s, {args.workers} worker(s), {base}")
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("| scenario | requests | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    total_errors = 0
    for name, data in results.items():
        lat = data["latency"]
        total_errors += data["errors"]
        print(
            f"| {name} | {len(lat)} | {percentile(lat, 0.5) * 1000:.0f} | "
            f"{percentile(lat, 0.95) * 1000:.0f} | {percentile(lat, 0.99) * 1000:.0f} | "
            f"{data['errors']} |"
        )
    all_lat = [v for d in results.values() for v in d["latency"]]
    if all_lat:
        print(
            f"overall median {statistics.median(all_lat) * 1000:.0f} ms, errors {total_errors}, "
            f"{len(all_lat) / args.seconds:.1f} req/s, server CPU {cpu * 1000 / len(all_lat):.1f} "
            "ms/request (web processes only)"
        )
    for problem in problems[:20]:
        print("error:", problem)
    return 1 if total_errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="default: a free one in 8200–8299")
    parser.add_argument("--with-worker", action="store_true", help="also run `campaign worker`")
    parser.add_argument("--leader", default="leader", help="e.g. leader_cixi for one county")
    parser.add_argument("--log", default="/tmp/load_mixed_server.log")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, 50))
    args.seconds = max(5, min(args.seconds, 600))
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
