"""Login under attack: parallel guessing is throttled atomically, and hashing never blocks the
event loop nor reveals whether an account exists or is active (issue 15, items 1 and 4)."""

from __future__ import annotations

import asyncio
import threading

from piccolo.apps.user.tables import BaseUser

from campaign.accounts import queries
from campaign.accounts.tables import LoginFailure
from tests.helpers.web import PASSWORD, post_form


async def test_forty_parallel_wrong_passwords_are_throttled_without_errors(client, make_user):
    await make_user("target")
    await client.get("/login")
    answers = await asyncio.gather(
        *(
            post_form(client, "/login", {"username": "target", "password": f"wrong-{i}"})
            for i in range(40)
        )
    )
    statuses = [a.status_code for a in answers]
    assert 500 not in statuses
    assert statuses.count(400) <= 5  # at most the free tries were checked
    assert statuses.count(429) >= 35
    row = await LoginFailure.select().where(LoginFailure.key == "user:target").first()
    assert row["failures"] >= 6  # attempts turned away before counting leave it below 40


async def test_after_a_parallel_burst_the_right_password_waits(db, make_user):
    await make_user("victim")
    results = await asyncio.gather(
        *(queries.attempt_login("victim", f"wrong-{i}", f"10.0.0.{i}") for i in range(20))
    )
    assert sum(1 for r in results if not r.wait_seconds) <= 5  # only the free tries checked
    right = await queries.attempt_login("victim", PASSWORD, "10.0.1.1")
    assert right.user_id is None and right.wait_seconds > 0


async def test_a_person_who_waited_out_the_lock_may_try_again(db, make_user):
    await make_user("patient")
    for _ in range(5):
        await queries.attempt_login("patient", "wrong-pass", "10.1.1.1")
    assert (await queries.attempt_login("patient", PASSWORD, "10.1.1.1")).wait_seconds
    old = queries.now().replace(year=2020)
    await LoginFailure.update({LoginFailure.last_failed_at: old}).where(
        LoginFailure.key.is_in(["user:patient", "ip:10.1.1.1"])
    )
    assert (await queries.attempt_login("patient", PASSWORD, "10.1.1.1")).user_id


async def test_every_login_hashes_exactly_once_and_never_on_the_event_loop(
    db, make_user, monkeypatch
):
    inactive = await make_user("gone")
    await queries.set_active(inactive, False)
    await make_user("real")
    calls: list[bool] = []
    original = BaseUser.hash_password.__func__

    def spy(cls, *args, **kwargs):
        calls.append(threading.current_thread() is threading.main_thread())
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(BaseUser, "hash_password", classmethod(spy))
    await queries.attempt_login("nobody", "warm-up-1", "10.2.0.1")  # creates the decoy once
    for name, password in [
        ("nobody", "whatever1"),
        ("gone", PASSWORD),
        ("real", "wrong-pass"),
        ("real", PASSWORD),
        ("real", "x" * 10_000),
    ]:
        calls.clear()
        await queries.attempt_login(name, password, f"10.2.1.{len(name)}")
        assert calls == [False], (name, calls)  # one hash each, in a worker thread


async def test_inactive_account_gets_the_generic_answer(client, make_user):
    uid = await make_user("sleep")
    await queries.set_active(uid, False)
    answer = await post_form(client, "/login", {"username": "sleep", "password": PASSWORD})
    assert answer.status_code == 400 and "用户名或密码错误" in answer.text


async def test_colleagues_behind_one_address_log_in_at_the_same_moment(db, make_user):
    for i in range(12):
        await make_user(f"officer{i}", "leader")
    results = await asyncio.gather(
        *(queries.attempt_login(f"officer{i}", PASSWORD, "10.9.9.9") for i in range(12))
    )
    assert all(r.user_id for r in results)
