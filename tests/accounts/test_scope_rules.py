"""Jurisdiction checks agree with a brute-force listing of each unit's territory."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from campaign.accounts import rules
from campaign.accounts.rules import Place, Scope, covers


@st.composite
def cities(draw):
    """A small random city: districts → towns → villages, stations over towns, some villages
    assigned to a station explicitly."""
    places: list[Place] = []
    stations = [f"S{i}" for i in range(draw(st.integers(1, 4)))]
    station_towns: dict[str, set[str]] = {s: set() for s in stations}
    for d in range(draw(st.integers(1, 3))):
        district = f"33{d:04d}"
        places.append(Place("district", district, district))
        for t in range(draw(st.integers(1, 3))):
            town = f"{district}{t:03d}"
            places.append(Place("town", town, district))
            for s in draw(st.sets(st.sampled_from(stations), max_size=2)):
                station_towns[s].add(town)
            for v in range(draw(st.integers(0, 3))):
                own = draw(st.none() | st.sampled_from(stations))
                places.append(Place("village", f"{town}{v:03d}", district, town, own))
    return places, station_towns


def territory(scope: Scope, places: list[Place], station_towns: dict[str, set[str]]) -> set[str]:
    """The oracle: list what a unit holds, straight from the definitions in docs/roles.md."""
    if scope.is_city:
        return {p.code for p in places}
    if scope.kind == "district":
        return {p.code for p in places if p.district_code == scope.code}
    if scope.kind == "town":
        return {p.code for p in places if p.code == scope.code or p.town_code == scope.code}
    towns = station_towns[scope.code]
    held = set(towns)
    for p in places:
        if p.level == "village" and (
            p.station_code == scope.code or (p.station_code is None and p.town_code in towns)
        ):
            held.add(p.code)
    return held


@given(cities(), st.data())
def test_covers_matches_the_listed_territory(city, data):
    places, station_towns = city
    options = [Scope()]
    options += [Scope("district", p.code) for p in places if p.level == "district"]
    options += [Scope("town", p.code) for p in places if p.level == "town"]
    options += [Scope("station", s, frozenset(t)) for s, t in station_towns.items()]
    scope = data.draw(st.sampled_from(options))
    expected = territory(scope, places, station_towns)
    assert {p.code for p in places if covers(scope, p)} == expected


@given(cities(), st.data())
def test_only_admins_and_coordinators_write_and_never_outside_their_scope(city, data):
    places, station_towns = city
    place = data.draw(st.sampled_from(places))
    role = data.draw(st.sampled_from(list(rules.ROLES)))
    scope = Scope("station", "S0", frozenset(station_towns["S0"]))
    allowed = rules.can_write(role, scope, place)
    assert allowed == (role == rules.ADMIN or (role == rules.COORDINATOR and covers(scope, place)))
    if role in (rules.LEADER, rules.TEAM):
        assert not allowed


@given(st.integers(0, 200))
def test_login_slowdown_starts_after_five_failures_grows_and_is_capped(failures):
    wait = rules.lock_seconds(failures)
    assert wait == 0 if failures < rules.FREE_FAILURES else 2 <= wait <= rules.MAX_LOCK_SECONDS
    assert rules.lock_seconds(failures + 1) >= wait


def test_phone_numbers_are_masked():
    assert rules.mask_phone("13812341234") == "138****1234"
    assert rules.mask_phone("+86 138-1234-1234") == "861****1234"
