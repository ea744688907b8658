"""The write side of a case import alone: N cases built in memory (no file, no validation, no
comparison) written through the import's own bulk path (`cases.bulk`: inserts or COPY with the
case indexes dropped, the indexes built, the case days, unit summaries and last case days
rebuilt, the commit), each statement timed as in import_profile.py. What is left of
`campaign import cases` when the check costs nothing: the floor of the write.

    # on a copy of the database `cases_import.py prepare` built (this adds N cases to it)
    CAMPAIGN_VAR=… [DATABASE_URL=…] python benchmarks/import_floor.py [--cases N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import time
from pathlib import Path


async def floor(count: int) -> None:
    from campaign.cases import bulk, queries, rules
    from campaign.db import close_pool, start_pool, write_transaction
    from campaign.generations import CASES
    from campaign.regions.tables import Region
    from campaign.timeutil import today

    await start_pool()
    try:
        rows = await Region.select(Region.code, Region.district_code).where(
            Region.level == "village"
        )
        town_stations = (await queries.reference()).town_stations
        rng = random.Random(5)
        days = [today() - dt.timedelta(days=d) for d in range(365)]
        built = time.perf_counter()
        records = []
        for i in range(count):
            village = rng.choice(rows)
            code = village["code"]
            stations = town_stations.get(code[:9], [])
            records.append(
                rules.CaseRecord(
                    i + 2, f"F{i:08d}", rng.choice(days), None, code, code[:9],
                    village["district_code"], stations[0] if len(stations) == 1 else None, "贷款",
                    rng.randrange(10**6), None, "其他",
                    None,
                )
            )  # fmt: skip
        with bulk.ImportSpill() as spill:
            plan = bulk.ImportPlan(added=records)
            written = spill.rows(plan)
            print(f"{count:,} records and rows built in {time.perf_counter() - built:.1f} s")
            began = time.perf_counter()
            async with write_transaction(CASES):
                writer = bulk.BulkWrite(spill.build)
                await writer.start(count)
                for start in range(0, count, 50_000):
                    await writer.write(written[0][start : start + 50_000], [], [])
                await writer.finish(spill)
            print(f"written and committed in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    finally:
        await close_pool()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import import_profile

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    arguments = parser.parse_args()
    import_profile.time_statements()
    asyncio.run(floor(arguments.cases))
    import_profile.summary()
