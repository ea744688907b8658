"""Reading and writing cases; every write keeps the units' last case days in the same transaction."""

from __future__ import annotations

import datetime as dt

from piccolo.query.functions.aggregate import Max

from campaign.cases import rules
from campaign.cases.tables import Case, FraudType, OccupationGroup
from campaign.regions import queries as regions


async def seed_reference_lists() -> None:
    """The default fraud types and occupation groups, added once (admins may edit them later)."""
    if not await FraudType.exists():
        await FraudType.insert(
            *(
                FraudType(name=n, aliases=a, sort_order=i)
                for i, (n, a) in enumerate(rules.DEFAULT_FRAUD_TYPES)
            )
        )
    if not await OccupationGroup.exists():
        await OccupationGroup.insert(
            *(
                OccupationGroup(name=n, aliases=a, sort_order=i)
                for i, (n, a) in enumerate(rules.DEFAULT_OCCUPATION_GROUPS)
            )
        )


async def fraud_type_index() -> dict[str, str]:
    rows = await FraudType.select(FraudType.name, FraudType.aliases).where(FraudType.active == True)  # noqa: E712
    return rules.alias_index([(r["name"], r["aliases"]) for r in rows])


async def _latest_day(column, code: str) -> dt.date | None:
    row = await Case.select(Max(Case.occurred_on).as_alias("day")).where(column == code).first()
    return row["day"] if row else None


async def refresh_units(units: set[tuple[str, str]]) -> None:
    """Recompute the last case day of the given (level, code) units from the cases stored."""
    columns = {"village": Case.village_code, "town": Case.town_code, "station": Case.station_code}
    for level, code in units:
        await regions.set_last_case(level, code, await _latest_day(columns[level], code))


def units_of(case: dict) -> set[tuple[str, str]]:
    units = {("town", case["town_code"])}
    if case.get("village_code"):
        units.add(("village", case["village_code"]))
    if case.get("station_code"):
        units.add(("station", case["station_code"]))
    return units


async def insert_case(values: dict) -> int:
    """Store a new case and advance its units' last case days. Call inside write_transaction()."""
    inserted = await Case.insert(Case(**values))
    await regions.advance_last_case(
        values.get("village_code"),
        values["town_code"],
        values.get("station_code"),
        values["occurred_on"],
    )
    return inserted[0]["id"]


async def update_case(case_id: int, values: dict) -> None:
    """Correct a case (its day or place may change): both the old and the new units are refreshed.
    Call inside write_transaction()."""
    old = await Case.select().where(Case.id == case_id).first()
    await Case.update(
        {getattr(Case, k): v for k, v in {**values, "updated_at": dt.datetime.now(dt.UTC)}.items()}
    ).where(Case.id == case_id)
    new = await Case.select().where(Case.id == case_id).first()
    await refresh_units(units_of(old) | units_of(new))


async def delete_case(case_id: int) -> dict | None:
    """Remove a case and refresh its units. Call inside write_transaction()."""
    old = await Case.select().where(Case.id == case_id).first()
    if old:
        await Case.delete().where(Case.id == case_id)
        await refresh_units(units_of(old))
    return old
