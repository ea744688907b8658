"""Load divisions at a benchmark scale into the configured database (DATABASE_URL / CAMPAIGN_VAR).

    python benchmarks/generate.py city        # Ningbo's real 10 / 162 / 3,042, one station per town
    python benchmarks/generate.py province    # ≈90 / 1,400 / 25,000, 1,200 stations (synthetic)
    python benchmarks/generate.py national    # ≈2,800 / 40,000 / 600,000, 5,000 stations (synthetic)

Migrates first, refuses a database that already holds regions unless --reset (which deletes
regions and stations only), and makes sure the user `admin` (password demo2026) exists.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from campaign.accounts import queries as accounts
from campaign.bootstrap import migrate
from campaign.db import close_pool, start_pool, write_transaction
from campaign.demo import builder, synthetic
from campaign.regions.imports import import_file
from campaign.regions.tables import Region, Station, StationTown
from campaign.settings import get_settings
from campaign.system.tables import Setting

SCALES = ("city", *synthetic.SCALES)


async def reset() -> None:
    async with write_transaction():
        for table in (StationTown, Station, Region):
            await table.delete(force=True)


async def load_city() -> None:
    ningbo = builder.NINGBO
    await import_file("regions", ningbo.name, ningbo.read_bytes(), dry_run=False, actor=None)
    await builder.generate_stations()
    await builder.generate_populations()


async def load_synthetic(scale: synthetic.Scale, seed: int) -> None:
    started = time.perf_counter()
    regions, stations = synthetic.build(scale, seed)
    built = time.perf_counter()
    await synthetic.write(regions, stations)
    rows = len(regions) + len(stations) + sum(len(s.towns) for s in stations)
    seconds = time.perf_counter() - built
    print(
        f"built in {built - started:.1f} s; wrote {rows:,} rows in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s)"
    )


async def ensure_admin() -> None:
    if not await accounts.username_taken("admin"):
        await accounts.create_user(
            "admin", builder.DEMO_PASSWORD, "反诈中心管理员", "admin", None, None, None
        )
    # Like `campaign demo`: the setting puts the demo-data banner on every page.
    async with write_transaction():
        await Setting.delete().where(Setting.key == "demo_data")
        await Setting.insert(Setting(key="demo_data", value="1", updated_at=accounts.now()))


async def main(scale_name: str, do_reset: bool, seed: int) -> int:
    settings = get_settings()
    print(f"database: {settings.database_url.split('@')[-1]}  scale: {scale_name}")
    await migrate()
    await start_pool()
    try:
        if await Region.exists():
            if not do_reset:
                print("this database already holds regions; use --reset or another database")
                return 1
            await reset()
        started = time.perf_counter()
        if scale_name == "city":
            await load_city()
        else:
            await load_synthetic(synthetic.SCALES[scale_name], seed)
        await ensure_admin()
        counts = {
            level: await Region.count().where(Region.level == level)
            for level in ("district", "town", "village")
        }
        print(
            ", ".join(f"{n:,} {level}s" for level, n in counts.items())
            + f", {await Station.count():,} stations in {time.perf_counter() - started:.1f} s"
        )
        print(f"log in as admin / {builder.DEMO_PASSWORD}")
        return 0
    finally:
        await close_pool()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=SCALES)
    parser.add_argument("--reset", action="store_true", help="delete stored regions and stations")
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.scale, arguments.reset, arguments.seed)))
