"""Materials supermarket benchmarks against a real `campaign serve` process (ports 8600–8699).

    python benchmarks/materials_scenarios.py [--materials 10000] [--video-mb 500]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is filled): 10,000 materials with a download history, and one video whose
file is a sparse file of --video-mb megabytes. Then measures
  1. the shop page (first page, a search, a filtered search): p50/p95 over loopback, sequential,
     next to /healthz, plus the server's CPU per request;
  2. one full download of the big video: the server's resident memory (VmRSS sampled every
     20 ms, and VmHWM before and after) — it must stay flat, not grow with the file;
  3. 50 concurrent downloads (40 MB ranges of the video each) while the shop page is timed.
Everything it creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
OUT = Path(__file__).resolve().parent / "out" / "materials.txt"
LINES: list[str] = []


def report(*parts: object) -> None:
    """Print a result line and keep it for benchmarks/out/materials.txt."""
    line = " ".join(str(p) for p in parts)
    print(line, flush=True)
    LINES.append(line)


def free_port() -> int:
    for port in range(8600, 8700):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8600–8699")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def seed(count: int, video_mb: int) -> int:
    """Fill the database; returns the id of the big video."""
    import datetime as dt
    import random

    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.db import write_transaction
    from campaign.materials import rules
    from campaign.materials.demo import AUDIENCE_OF, SLOGANS
    from campaign.materials.storage import get_storage
    from campaign.materials.tables import Download, Material, MaterialVersion

    await migrate()
    await accounts.create_user("bench", "demo2026", "基准", "admin", None, None, None)
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    types = list(SLOGANS)
    rows = []
    for i in range(1, count + 1):
        fraud = types[i % len(types)]
        kind = rng.choice(("poster", "poster", "slogan", "article", "video"))
        rows.append(
            Material(
                kind=kind,
                title=f"{fraud}防骗{rules.KINDS[kind]} {i}",
                description=f"面向{'、'.join(AUDIENCE_OF[fraud])}的{fraud}防范素材,{rng.choice(SLOGANS[fraud])}",
                tags=f"{fraud} 小牛警",
                fraud_types=rules.join_list([fraud]),
                audiences=rules.join_list(list(AUDIENCE_OF[fraud])),
                series="小牛警",
                team=rng.choice(("达叔讲堂", "警民小铺", "木兰织梦")),
                body=rng.choice(SLOGANS[fraud]) if kind in ("slogan", "article") else "",
                status="approved" if i % 10 else "pending",
                downloads=rng.randint(0, 500),
                created_at=now - dt.timedelta(minutes=i),
                updated_at=now,
            )
        )
    async with write_transaction():
        for start in range(0, len(rows), 500):
            await Material.insert(*rows[start : start + 500])
        downloads = [
            Download(
                material_id=rng.randint(1, count),
                version=1,
                username="bench",
                team="达叔讲堂",
                at=now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 30)),
            )
            for _ in range(20_000)
        ]
        for start in range(0, len(downloads), 500):
            await Download.insert(*downloads[start : start + 500])
        key = "materials/bench/v1-big.mp4"
        path = get_storage().path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:  # sparse: no disk is written, reads return zeros
            handle.truncate(video_mb * 1024 * 1024)
        inserted = await Material.insert(
            Material(
                kind="video",
                title="大视频",
                status="approved",
                version=1,
                file_key=key,
                file_name="big.mp4",
                content_type="video/mp4",
                size=video_mb * 1024 * 1024,
                created_at=now,
                updated_at=now,
            )
        )
        await MaterialVersion.insert(
            MaterialVersion(
                material_id=inserted[0]["id"],
                number=1,
                file_key=key,
                file_name="big.mp4",
                content_type="video/mp4",
                size=video_mb * 1024 * 1024,
                sha256="sparse",
                uploaded_by="bench",
            )
        )
    return inserted[0]["id"]


async def timed(client: httpx.AsyncClient, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered):6.2f} ms   p95 {p95:6.2f} ms   (n={len(ordered)})"


async def login(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=120)
    await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": "bench",
            "password": "demo2026",
            "_csrf_token": client.cookies["campaign_csrf"],
        },
    )
    assert response.status_code == 302, response.status_code
    return client


async def measure(base: str, pid: int, video_id: int, video_mb: int) -> None:
    client = await login(base)
    await timed(client, "/materials", 20)  # warm up
    report("\n1. Shop page (sequential requests over loopback)")
    await timed(client, "/healthz", 50)
    report("   /healthz                        ", summary(await timed(client, "/healthz", 300)))
    for label, path in (
        ("/materials (first page)         ", "/materials"),
        ("/materials?q=刷单                ", "/materials?q=刷单"),
        (
            "/materials?q=防骗&kind=poster&… ",
            "/materials?q=防骗&kind=poster&audience=学生&sort=popular",
        ),
        ("htmx fragment ?page=40          ", "/materials?page=40"),
    ):
        cpu = cpu_seconds(pid)
        times = await timed(client, path, 300)
        per_request = (cpu_seconds(pid) - cpu) / len(times) * 1000
        report(f"   {label}", summary(times), f"  server CPU {per_request:5.2f} ms/request")

    report(f"\n2. One {video_mb} MB download: server memory")
    before = proc_status(pid)
    peak_rss = before["VmRSS"]
    received = 0
    start = time.perf_counter()
    async with client.stream("GET", f"/materials/{video_id}/download") as response:
        assert response.status_code == 200, response.status_code
        last = 0.0
        async for chunk in response.aiter_raw(1024 * 1024):
            received += len(chunk)
            if time.perf_counter() - last > 0.02:
                peak_rss = max(peak_rss, proc_status(pid)["VmRSS"])
                last = time.perf_counter()
    seconds = time.perf_counter() - start
    after = proc_status(pid)
    report(
        f"   received {received / 2**20:.0f} MB in {seconds:.1f} s ({received / 2**20 / seconds:.0f} MB/s)"
    )
    report(
        f"   VmRSS before {before['VmRSS'] / 1024:.1f} MB, peak during {peak_rss / 1024:.1f} MB, "
        f"after {after['VmRSS'] / 1024:.1f} MB;  VmHWM before {before['VmHWM'] / 1024:.1f} MB, "
        f"after {after['VmHWM'] / 1024:.1f} MB"
    )

    report("\n3. 50 concurrent downloads (curl, 40 MB ranges each) while the shop page is timed")
    idle = await timed(client, "/materials", 100)
    slice_size = 40 * 1024 * 1024

    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())

    async def one(i: int) -> int:
        """One download by curl (a browser-like client that costs little CPU itself)."""
        start = (i * 7 * 1024 * 1024) % (video_mb * 1024 * 1024 - slice_size)
        process = await asyncio.create_subprocess_exec(
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download}",
            "-H",
            f"Cookie: {cookie}",
            "-r",
            f"{start}-{start + slice_size - 1}",
            f"{base}/materials/{video_id}/file",
            stdout=asyncio.subprocess.PIPE,
        )
        out, _err = await process.communicate()
        status, size = out.decode().split()
        assert status == "206", status
        return int(size)

    started = time.perf_counter()
    downloads = asyncio.gather(*(one(i) for i in range(50)))
    await asyncio.sleep(0.5)
    busy: list[float] = []
    while not downloads.done():  # time pages only while the downloads are running
        busy += await timed(client, "/materials", 1)
    sizes = await downloads
    elapsed = time.perf_counter() - started
    report(
        f"   downloads: {len(sizes)} × {slice_size // 2**20} MB = {sum(sizes) / 2**30:.2f} GB "
        f"in {elapsed:.1f} s; server VmHWM {proc_status(pid)['VmHWM'] / 1024:.1f} MB"
    )
    report("   shop page idle  ", summary(idle))
    report("   shop page busy  ", summary(busy))
    await client.aclose()


SHOP_PATHS = (
    "/healthz",
    "/materials",
    "/materials?q=刷单",
    "/materials?q=防骗&kind=poster&audience=学生&sort=popular",
    "/materials?page=40",
)


async def server_side(requests: int = 200) -> None:
    """Per-request server cost without the network or a busy neighbour's wall-clock noise: the
    app in this process (ASGI transport), CPU time of the whole process (database threads
    included) for each request, p50 and p95."""
    from campaign.app import create_app
    from campaign.db import close_pool, start_pool

    await start_pool()
    app = create_app()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await client.get("/login")
        await client.post(
            "/login",
            data={
                "username": "bench",
                "password": "demo2026",
                "_csrf_token": client.cookies["campaign_csrf"],
            },
        )
        report("\n0. Server-side cost per request (in-process, CPU time)")
        for path in SHOP_PATHS:
            for _ in range(10):
                await client.get(path)
            cpu = []
            for _ in range(requests):
                start = time.process_time()
                response = await client.get(path)
                cpu.append((time.process_time() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            cpu.sort()
            report(
                f"   {path:58s} CPU p50 {cpu[len(cpu) // 2]:5.2f} ms   "
                f"p95 {cpu[int(len(cpu) * 0.95) - 1]:5.2f} ms"
            )
    await close_pool()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--materials", type=int, default=10_000)
    parser.add_argument("--video-mb", type=int, default=500)
    args = parser.parse_args()
    var = Path(
        os.environ.get("BENCH_VAR") or tempfile.mkdtemp(prefix="materials-bench-", dir="/tmp")
    )
    os.environ["CAMPAIGN_VAR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ.pop("REDIS_URL", None)
    server = None
    try:
        started = time.perf_counter()
        video_id = asyncio.run(seed(args.materials, args.video_mb))
        report(f"seeded {args.materials:,} materials in {time.perf_counter() - started:.1f} s")
        asyncio.run(server_side())
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "campaign"), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        asyncio.run(measure(base, server.pid, video_id, args.video_mb))
        OUT.parent.mkdir(exist_ok=True)
        OUT.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
