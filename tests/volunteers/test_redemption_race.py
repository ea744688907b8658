"""Two volunteers racing for the last gift, and one volunteer racing themself for two gifts they
can afford only once: on PostgreSQL (real concurrent transactions) exactly one wins each race and
no stock or point is lost or spent twice."""

from __future__ import annotations

import asyncio

import pytest

from campaign.db import is_sqlite
from campaign.volunteers import queries, rules
from campaign.volunteers.tables import PointEntry, Reward
from tests.helpers.volunteers import SHUGUANG, approved_propagandist, setup, staff


async def _people(make_user, n: int) -> list[queries.VolunteerRow]:
    await setup(make_user)
    recruiter = await approved_propagandist(await staff(make_user, "police_li"))
    people = []
    for i in range(n):
        checked = rules.SignupInput(f"抢礼品{i}", f"1350000000{i}", SHUGUANG, None)
        v = await queries.volunteer(
            await queries.sign_up(recruiter, checked, f"9.9.9.{i}", queries.now())
        )
        async with queries.write_transaction():
            await queries._award(
                queries.person_of_volunteer(v),
                rules.REPORT,
                f"seed:{i}",
                "测试",
                queries.now(),
                100,
            )
        people.append(await queries.volunteer(v.id))
    return people


async def _gift(stock: int, price: int) -> int:
    async with queries.write_transaction():
        rows = await Reward.insert(
            Reward(name="最后一个小牛警公仔", price=price, stock=stock)
        ).returning(Reward.id)
    return rows[0]["id"]


async def test_two_redemptions_racing_for_the_last_gift_on_postgresql(app, make_user):
    if is_sqlite():  # SQLite serialises writers; the PostgreSQL pass of the suite runs this race
        pytest.skip("a race between concurrent transactions: runs on PostgreSQL")
    people = await _people(make_user, 2)
    gift = await _gift(stock=1, price=60)
    results = await asyncio.gather(*(queries.redeem(v, gift, queries.now()) for v in people))
    winners = [rid for rid, problem in results if rid]
    assert len(winners) == 1
    assert sorted(problem or "" for _rid, problem in results) == ["", "stock"]
    assert (await queries.reward(gift)).stock == 0
    balances = sorted([(await queries.volunteer(v.id)).balance for v in people])
    assert balances == [40, 100]
    assert await PointEntry.count().where(PointEntry.kind == rules.REDEEM) == 1


async def test_one_balance_racing_for_two_gifts_pays_once_on_postgresql(app, make_user):
    if is_sqlite():  # SQLite serialises writers; the PostgreSQL pass of the suite runs this race
        pytest.skip("a race between concurrent transactions: runs on PostgreSQL")
    (v,) = await _people(make_user, 1)
    gift = await _gift(stock=5, price=70)
    results = await asyncio.gather(*(queries.redeem(v, gift, queries.now()) for _ in range(4)))
    assert sum(1 for rid, _p in results if rid) == 1
    assert {p for rid, p in results if rid is None} == {"points"}
    assert (await queries.volunteer(v.id)).balance == 30
    assert (await queries.reward(gift)).stock == 4
