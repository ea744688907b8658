"""Bad input is a 400, a 404 or a field error, never a 500 (issue 15, item 5): ids and offsets
beyond 64 bits, Unicode digits that pass str.isdigit(), years outside 1…9999, a 60,000-character
search, populations beyond 2^63. Parsers first (against Python's own as the oracle), then every
GET route of the app with hostile query values and path ids."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign import parsing
from campaign.importing import ImportRejected
from campaign.regions.imports import import_file
from tests.helpers.ningbo import load_slice
from tests.helpers.routes import app_routes
from tests.helpers.web import login

HUGE = str(2**63)
HOSTILE_QUERY = {
    "page": "²",
    "offset": HUGE,
    "limit": "１０",  # full-width digits
    "q": "a" * 52_000,  # SQLite's LIKE refuses patterns over 50,000 bytes
    "from": "0000-12-31",
    "to": "9999-12-31",
    "month": "10000-01",
    "since": "²⁰²⁶-01-01",
    "until": "2026-13-45",
    "type": HUGE,
    "mine": "²",
    "material": HUGE + "0",
    "n": "³",
    "v": HUGE,
    "as_of": "0001-01-01",
    "days": "²",
    "level": "x" * 500,
    "unit": "²²²",
    "place": HUGE,
    "district": "²",
}


@given(st.text(max_size=30))
def test_parse_int_never_raises_and_agrees_with_int_on_ascii(raw):
    value = parsing.parse_int(raw, -parsing.MAX_ID)
    stripped = raw.strip()
    if value is not None:
        assert value == int(stripped) and stripped.lstrip("+-").isascii()
    elif stripped.lstrip("+-").isascii() and stripped.lstrip("+-").isdigit():
        assert len(stripped.lstrip("+-")) > 19 or abs(int(stripped)) > parsing.MAX_ID


@given(st.integers())
def test_parse_int_bounds(number):
    assert parsing.parse_int(str(number), 0, 1000) == (number if 0 <= number <= 1000 else None)


def test_unicode_digits_dates_and_months_are_refused_not_raised():
    assert parsing.parse_int("²") is None and parsing.parse_int("１２") is None
    assert parsing.parse_int(HUGE) is None and parsing.parse_id("0") is None
    assert parsing.parse_date("0000-01-01") is None and parsing.parse_date("9999-12-31") is None
    assert parsing.parse_date("2026-02-30") is None
    assert parsing.parse_date("2026-07-09T10:00") == dt.date(2026, 7, 9)
    assert parsing.parse_month("10000-01") is None and parsing.parse_month("2026-13") is None
    assert parsing.parse_month("2026-7") == (2026, 7)
    assert parsing.parse_ids(["3,1\uff0c2", "²", HUGE, "3"]) == [3, 1, 2]
    assert len(parsing.search_text("x" * 60_000)) == parsing.MAX_SEARCH
    assert parsing.parse_decimal("12.5") == 1250 and parsing.parse_decimal("1.234") is None


async def test_every_get_route_survives_hostile_query_values(app, client, make_user):
    await load_slice()
    await make_user("root", "admin")
    await login(client, "root")
    failures = []
    for route in app_routes(app):
        if route.method != "GET" or route.streams or route.path.startswith(("/static", "/lang")):
            continue
        url = route.url()
        for params in (HOSTILE_QUERY, {"format": "xlsx", **HOSTILE_QUERY}):
            answer = await client.get(url, params=params, headers={"range": "bytes=²-³".encode()})
            if answer.status_code >= 500:
                failures.append(f"{url} → {answer.status_code}")
        answer = await client.get(route.url(HUGE))
        if answer.status_code >= 500:
            failures.append(f"{route.url(HUGE)} → {answer.status_code}")
    assert failures == []


async def test_a_60000_character_search_is_cut_not_refused(db):
    from campaign.accounts.rules import Scope
    from campaign.regions import queries as regions

    await load_slice()
    assert await regions.regions(Scope(), {"q": "测" * 60_000}) == []
    assert await regions.regions(Scope(), {"q": "慈溪" + "x" * 60_000}) == []


async def test_api_offsets_beyond_64_bits_are_400(client, make_user):
    from campaign.accounts import queries

    uid = await make_user("api", "admin")
    token = await queries.create_token(uid, "t")
    answer = await client.get(
        "/api/v1/cases", params={"offset": HUGE}, headers={"authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400 and "数值超出范围" in answer.json()["detail"]
    answer = await client.get("/cases/" + HUGE, headers={"authorization": f"Bearer {token}"})
    assert answer.status_code in (401, 404)


async def test_population_beyond_64_bits_fails_the_dry_run_not_the_import(db):
    head = "区划代码,名称,级别,上级代码,常住人口\n330282,慈溪市,区县,,"
    for population in (str(2**63), "²", "1e30", "10000001"):
        with pytest.raises(ImportRejected) as refused:
            await import_file(
                "regions", "r.csv", (head + population + "\n").encode(), dry_run=True, actor=None
            )
        assert "常住人口" in refused.value.report()
