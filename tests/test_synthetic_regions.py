"""The synthetic divisions the benchmarks load: real code shapes, exact counts, a valid tree."""

from __future__ import annotations

from collections import Counter

import pytest

from campaign.demo import synthetic
from campaign.regions import queries as regions
from campaign.regions.rules import LEVEL_DIGITS, PARENT_LEVEL, validate_regions
from campaign.regions.tables import Region, Station, StationTown

TINY = synthetic.Scale(districts=3, towns=11, villages=47, stations=5)


def test_counts_match_the_requested_scale():
    records, stations = synthetic.build(TINY)
    levels = Counter(record.level for record in records)
    assert levels == {"district": 3, "town": 11, "village": 47}
    assert len(stations) == 5


def test_codes_have_the_digits_of_their_level_and_start_with_their_parent():
    records, _ = synthetic.build(TINY)
    by_code = {record.code: record for record in records}
    assert len(by_code) == len(records)
    for record in records:
        assert record.code.isdigit() and len(record.code) == LEVEL_DIGITS[record.level]
        if record.level != "district":
            parent = by_code[record.parent_code]
            assert parent.level == PARENT_LEVEL[record.level]
            assert record.code.startswith(parent.code)
            assert record.district_code == record.code[:6]


def test_the_region_import_rules_accept_the_synthetic_tree():
    records, _ = synthetic.build(TINY)
    rows = [
        (i, {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code})
        for i, r in enumerate(records, start=2)
    ]
    _, errors = validate_regions(rows, {}, set())
    assert errors == []


def test_every_town_belongs_to_exactly_one_station_of_its_own_district():
    records, stations = synthetic.build(TINY)
    towns = {r.code: r for r in records if r.level == "town"}
    covered = Counter(town for station in stations for town in station.towns)
    assert set(covered) == set(towns) and set(covered.values()) == {1}
    for station in stations:
        assert station.towns and all(
            towns[t].district_code == station.district_code for t in station.towns
        )


def test_the_same_seed_builds_the_same_divisions():
    assert synthetic.build(TINY, seed=7) == synthetic.build(TINY, seed=7)


def test_a_scale_with_more_towns_than_room_under_its_districts_is_refused():
    with pytest.raises(ValueError):
        synthetic.build(synthetic.Scale(districts=1, towns=1_000, villages=1_000, stations=1))


async def test_bulk_write_stores_everything_as_demo_data(db):
    records, stations = synthetic.build(TINY)
    await synthetic.write(records, stations)
    assert await Region.count() == 61
    assert await Region.count().where(Region.is_demo.eq(False)) == 0
    assert await Station.count().where(Station.is_demo.eq(True)) == 5
    assert await StationTown.count() == 11
    village = next(r for r in records if r.level == "village")
    place = await regions.place_of(village.code)
    assert place is not None and place.town_code == village.parent_code
