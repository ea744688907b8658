"""Joining by a propagandist's code, signing in by one-time code, check-in, quiz, sharing,
reporting and redemptions, each with its abuse case: clear messages, nothing lost or double-spent."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from openpyxl import load_workbook

from campaign.timeutil import today
from campaign.volunteers import queries, rules
from campaign.volunteers.tables import (
    PointEntry,
    Propagandist,
    QuizQuestion,
    Reward,
    Volunteer,
)
from tests.helpers.volunteers import (
    FUHAI_VILLAGE,
    SHUGUANG,
    approved_propagandist,
    checkin_path,
    demo_code,
    event_now,
    join,
    join_path,
    setup,
    staff,
)
from tests.helpers.web import post_form


@pytest.fixture
async def recruiter(make_user):
    await setup(make_user)
    user = await staff(make_user, "police_zhang")
    return await approved_propagandist(user)


async def only_volunteer() -> queries.VolunteerRow:
    row = await Volunteer.select(Volunteer.id).first()
    return await queries.volunteer(row["id"])


# -- Joining ----------------------------------------------------------------------------------------


async def test_joining_by_a_code_enrols_into_the_area_and_signs_in_on_the_phone(client, recruiter):
    page = await client.get(join_path(recruiter))
    assert page.status_code == 200 and "曙光社区" in page.text and "附海村" not in page.text
    response = await join(client, recruiter)
    assert response.status_code == 302 and response.headers["location"] == "/v/me?welcome=1"
    me = await client.get("/v/me")
    assert me.status_code == 200 and "张晓明" in me.text
    v = await only_volunteer()
    assert v.phone_masked == "138****8000" and v.recruiter_id == recruiter.id
    assert "13800138000" not in me.text
    stored = await Volunteer.select(Volunteer.phone_hash).first()
    assert "13800138000" not in stored["phone_hash"]
    assert (await queries.propagandist(recruiter.id)).recruits == 1
    assert await PointEntry.count() == 0, "recruit credit waits for the recruit's first action"


async def test_same_phone_twice_is_refused_with_a_way_to_sign_in(client, recruiter):
    await join(client, recruiter)
    client.cookies.delete("campaign_volunteer")
    again = await join(client, recruiter, phone="138 0013 8000", nickname="别人")
    assert again.status_code == 400 and "已加入" in again.text and 'href="/v/login"' in again.text
    assert await Volunteer.count() == 1


async def test_a_village_outside_the_area_is_refused(client, recruiter):
    response = await join(client, recruiter, village=FUHAI_VILLAGE)
    assert response.status_code == 400 and "宣传范围" in response.text
    assert await Volunteer.count() == 0


async def test_forged_or_tampered_codes_are_refused(client, recruiter):
    token = rules.recruit_token(recruiter.id, recruiter.area, queries.secret())
    body, mac = token.split(".")
    forged = rules.recruit_token(recruiter.id, recruiter.area, "not-the-key")
    for bad in (f"{body}.{mac[:-1]}A" if mac[-1] != "A" else f"{body}.{mac[:-1]}B", forged, "xyz"):
        page = await client.get(f"/v/j/{bad}")
        assert page.status_code == 400 and "无效" in page.text
    posted = await post_form(
        client, f"/v/j/{forged}", {"nickname": "x", "phone": "13800138001", "village": SHUGUANG}
    )
    assert posted.status_code == 400 and await Volunteer.count() == 0


async def test_a_suspended_propagandists_code_stops_working(client, recruiter, make_user):
    admin = await staff(make_user, "admin2", "admin", None)
    await queries.set_status(recruiter.id, rules.SUSPENDED, admin, None)
    page = await client.get(join_path(recruiter))
    assert page.status_code == 400 and "停用" in page.text


async def test_a_code_printed_before_the_area_changed_is_void(client, recruiter):
    old = join_path(recruiter)
    await Propagandist.update({Propagandist.area: rules.area_text(["330282005002"])}).where(
        Propagandist.id == recruiter.id
    )
    page = await client.get(old)
    assert page.status_code == 400 and "失效" in page.text


async def test_a_burst_of_signups_from_one_address_is_throttled(client, recruiter):
    statuses = []
    for n in range(rules.SIGNUPS_PER_WINDOW + 2):
        client.cookies.delete("campaign_volunteer")
        response = await join(client, recruiter, phone=f"139{n:08d}", nickname=f"人{n}")
        statuses.append(response.status_code)
    assert statuses[: rules.SIGNUPS_PER_WINDOW] == [302] * rules.SIGNUPS_PER_WINDOW
    assert statuses[rules.SIGNUPS_PER_WINDOW :] == [429, 429]
    assert await Volunteer.count() == rules.SIGNUPS_PER_WINDOW


async def test_signed_out_pages_are_shared_but_each_visitor_keeps_their_own_token(app, recruiter):
    """The join page and public boards are rendered once for signed-out visitors for a few
    seconds; the CSRF token in them is still each visitor's own, so joining works for both."""
    import httpx

    def phone_client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 4000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with phone_client("3.3.3.1") as a, phone_client("3.3.3.2") as b:
        first, second = await a.get(join_path(recruiter)), await b.get(join_path(recruiter))
        mine, theirs = a.cookies["campaign_csrf"], b.cookies["campaign_csrf"]
        assert mine != theirs and mine in first.text and theirs in second.text
        assert mine not in second.text
        assert first.text.replace(mine, "") == second.text.replace(theirs, "")
        assert (await join(b, recruiter, phone="13800138011")).status_code == 302
        assert (await join(a, recruiter, phone="13800138012")).status_code == 302

        v = await only_volunteer()
        await give(v, 25)
        # b is signed in now (fresh board); a signed-out visitor sees the shared copy.
        a.cookies.delete("campaign_volunteer")
        fresh = await b.get("/v/boards?board=v&period=a")
        assert "data-my-position" in fresh.text and ">25<" in fresh.text.replace(" ", "")
        anonymous = phone_client("3.3.3.3")
        before = await anonymous.get("/v/boards?board=v&period=w")
        await give(v, 5)
        again = await anonymous.get("/v/boards?board=v&period=w")
        assert again.text.replace(anonymous.cookies["campaign_csrf"], "") == before.text.replace(
            anonymous.cookies["campaign_csrf"], ""
        )
        await anonymous.aclose()


# -- Signing in -------------------------------------------------------------------------------------


async def test_signing_in_by_phone_and_one_time_code(client, recruiter):
    await join(client, recruiter)
    client.cookies.clear()
    unknown = await post_form(client, "/v/login", {"phone": "13900000000"})
    assert unknown.status_code == 404 and "还没有加入" in unknown.text
    sent = await post_form(client, "/v/login", {"phone": "13800138000"})
    code = demo_code(sent.text)
    again = await post_form(client, "/v/login", {"phone": "13800138000"})
    assert again.status_code == 429, "one code a minute"
    ok = await post_form(
        client, "/v/login", {"phone": "13800138000", "code": code, "next": "/v/quiz"}
    )
    assert ok.status_code == 302 and ok.headers["location"] == "/v/quiz"
    assert (await client.get("/v/me")).status_code == 200


async def test_five_wrong_codes_void_the_code(client, recruiter):
    await join(client, recruiter)
    client.cookies.clear()
    code = demo_code((await post_form(client, "/v/login", {"phone": "13800138000"})).text)
    wrong = "000000" if code != "000000" else "111111"
    texts = []
    for _ in range(5):
        response = await post_form(client, "/v/login", {"phone": "13800138000", "code": wrong})
        assert response.status_code == 400
        texts.append(response.text)
    assert "不正确" in texts[0] and "错误次数过多" in texts[-1]
    late = await post_form(client, "/v/login", {"phone": "13800138000", "code": code})
    assert late.status_code == 400 and "错误次数过多" in late.text
    assert (await client.get("/v/me")).status_code == 302


async def test_a_tampered_volunteer_cookie_is_not_a_session(client, recruiter):
    await join(client, recruiter)
    value = client.cookies.get("campaign_volunteer")
    vid, issued, mac = value.split(".")
    client.cookies.set("campaign_volunteer", f"{int(vid) + 1}.{issued}.{mac}")
    assert (await client.get("/v/me")).status_code == 302


# -- Earning points -----------------------------------------------------------------------------------


async def test_check_in_earns_points_credits_the_recruiter_and_counts_on_the_event(
    client, recruiter
):
    from campaign.events import queries as events

    await join(client, recruiter)
    event_id = await event_now()
    page = await client.get(checkin_path(event_id))
    assert page.status_code == 200
    done = await post_form(
        client, f"/v/checkin/{event_id}", {"s": checkin_path(event_id).split("s=")[1]}
    )
    assert done.status_code == 200 and 'data-checkin-result="ok"' in done.text
    v = await only_volunteer()
    assert v.points == 30 and v.balance == 30
    p = await queries.propagandist(recruiter.id)
    assert p.points == 20 and p.active_recruits == 1
    assert (await events.event(event_id))["checkins"] == 1
    again = await post_form(
        client, f"/v/checkin/{event_id}", {"s": checkin_path(event_id).split("s=")[1]}
    )
    assert again.status_code == 409 and "已签到" in again.text
    assert (await only_volunteer()).points == 30
    assert (await queries.propagandist(recruiter.id)).points == 20
    assert await queries.board_rows() == await queries.ledger_sums()


async def test_check_in_at_an_event_that_is_over_or_far_off_is_refused(client, recruiter):
    await join(client, recruiter)
    over = await event_now(hours_ago=30)
    later = await event_now(hours_ago=-72)
    for event_id, word in ((over, "结束"), (later, "还没开始")):
        s = checkin_path(event_id).split("s=")[1]
        response = await post_form(client, f"/v/checkin/{event_id}", {"s": s})
        assert response.status_code == 409 and word in response.text
    assert (await only_volunteer()).points == 0
    forged = await client.get(f"/v/checkin/{over}?s=abc")
    assert forged.status_code == 404


async def test_quiz_pays_once_a_day_and_replayed_answers_change_nothing(client, recruiter):
    await join(client, recruiter)
    v = await only_volunteer()
    questions = await queries.quiz_questions(v, today())
    assert all(isinstance(q.options, tuple) and len(q.options) >= 2 for q in questions)
    form = await client.get("/v/quiz")
    assert form.text.count('type="radio"') == sum(len(q.options) for q in questions)
    answers = {f"q{q.id}": str(q.answer) for q in questions}
    first = await post_form(client, "/v/quiz", answers)
    assert first.status_code == 200 and 'data-quiz-result="passed"' in first.text
    assert "data-my-balance>10 " in first.text
    replay = await post_form(client, "/v/quiz", answers)
    assert replay.status_code == 409 and 'data-quiz-result="again"' in replay.text
    assert (await only_volunteer()).points == 10
    assert await PointEntry.count().where(PointEntry.kind == rules.QUIZ) == 1


async def test_a_failed_quiz_earns_nothing_but_counts_as_activity(client, recruiter):
    await join(client, recruiter)
    v = await only_volunteer()
    questions = await queries.quiz_questions(v, today())
    wrong = {f"q{q.id}": str((q.answer + 1) % len(q.options)) for q in questions}
    response = await post_form(client, "/v/quiz", wrong)
    assert 'data-quiz-result="failed"' in response.text
    assert (await only_volunteer()).points == 0
    assert (await queries.propagandist(recruiter.id)).active_recruits == 1


async def test_share_link_counts_unique_opens_within_the_daily_cap(client, recruiter, app):
    import httpx

    from campaign.volunteers.tables import ShareLink

    await join(client, recruiter)
    v = await only_volunteer()
    async with queries.write_transaction():
        await ShareLink.insert(
            ShareLink(token="tok123", volunteer_id=v.id, material_id=1, title="防范刷单")
        )
    link = await queries.shared_link("tok123")
    at = queries.now()
    first = await queries.open_share(link, "visitor-a", at)
    again = await queries.open_share(link, "visitor-a", at)
    assert first.points == 2 and again.problem == "again"
    for n in range(20):
        await queries.open_share(link, f"visitor-{n}", at)
    assert (await only_volunteer()).points == rules.DEFAULT_RULES[rules.SHARE_OPEN][1]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as other:
        page = await other.get("/s/tok123")
        assert page.status_code == 200
        assert (await other.get("/s/nope")).status_code == 404


async def test_reporting_a_suspicious_number_earns_points_and_staff_see_it_masked(
    client, recruiter, make_user
):
    from tests.helpers.web import login

    await join(client, recruiter)
    bad = await post_form(client, "/v/report", {"kind": "call", "content": ""})
    assert bad.status_code == 400 and "请填写" in bad.text
    ok = await post_form(
        client, "/v/report", {"kind": "call", "content": "17012345678", "note": "自称客服"}
    )
    assert ok.status_code == 200 and "data-report-result" in ok.text
    assert (await only_volunteer()).points == 5
    client.cookies.clear()
    await login(client, "admin")
    page = await client.get("/volunteers/reports?kind=call")
    assert "170****5678" in page.text and "17012345678" not in page.text
    export = await client.get("/volunteers/reports?format=xlsx")
    cells = [c for row in load_workbook(io.BytesIO(export.content)).active.values for c in row]
    assert "170****5678" in cells and "17012345678" not in cells
    assert "还没有举报" in (await client.get("/volunteers/reports?kind=site")).text


# -- Rewards ------------------------------------------------------------------------------------------


async def give(v: queries.VolunteerRow, points: int) -> None:
    person = queries.person_of_volunteer(v)
    async with queries.write_transaction():
        await queries._award(
            person, rules.REPORT, f"gift:{random.random()}", "测试", queries.now(), points
        )


async def test_redemption_takes_points_and_stock_together_and_refuses_cleanly(client, recruiter):
    await join(client, recruiter)
    v = await only_volunteer()
    async with queries.write_transaction():
        rows = await Reward.insert(Reward(name="小牛警钥匙扣", price=50, stock=1)).returning(
            Reward.id
        )
    gift = rows[0]["id"]
    poor = await post_form(client, f"/v/rewards/{gift}", {})
    assert poor.status_code == 409 and "积分不足" in poor.text
    assert (await queries.reward(gift)).stock == 1
    await give(v, 120)
    ok = await post_form(client, f"/v/rewards/{gift}", {})
    assert (
        ok.status_code == 200 and 'data-redeem-result="ok"' in ok.text and "data-pickup" in ok.text
    )
    v = await only_volunteer()
    assert v.balance == 70 and v.points == 120, "spending lowers the balance, not the boards"
    assert (await queries.reward(gift)).stock == 0
    gone = await post_form(client, f"/v/rewards/{gift}", {})
    assert gone.status_code == 409 and "已兑完" in gone.text
    assert (await only_volunteer()).balance == 70


async def test_station_hands_out_or_cancels_and_cancelling_gives_both_back(
    client, recruiter, make_user
):
    from tests.helpers.web import login

    await join(client, recruiter)
    v = await only_volunteer()
    await give(v, 100)
    async with queries.write_transaction():
        rows = await Reward.insert(Reward(name="反诈帆布袋", price=40, stock=5)).returning(
            Reward.id
        )
    first, _ = await queries.redeem(v, rows[0]["id"], queries.now())
    second, _ = await queries.redeem(v, rows[0]["id"], queries.now())
    staff_client = client
    staff_client.cookies.clear()
    await login(staff_client, "coord_fuhai")
    denied = await post_form(staff_client, f"/volunteers/redemptions/{first}", {"action": "hand"})
    assert denied.status_code == 403
    staff_client.cookies.clear()
    await login(staff_client, "coord_baisha")
    page = await staff_client.get("/volunteers/redemptions")
    assert f'data-redemption="{first}"' in page.text
    await post_form(staff_client, f"/volunteers/redemptions/{first}", {"action": "hand"})
    await post_form(staff_client, f"/volunteers/redemptions/{second}", {"action": "cancel"})
    assert (await queries.redemption(first)).status == "handed"
    assert (await queries.redemption(second)).status == "cancelled"
    assert (await only_volunteer()).balance == 60
    assert (await queries.reward(rows[0]["id"])).stock == 4


async def test_maintained_boards_equal_ledger_sums_after_random_awards(recruiter, make_user):
    from campaign.volunteers.tables import Team

    async with queries.write_transaction():
        team = (await Team.insert(Team(name="警民小铺")).returning(Team.id))[0]["id"]
    rng = random.Random(7)
    people = []
    for n in range(6):
        checked = rules.SignupInput(
            f"志愿者{n}", f"1370000000{n}", SHUGUANG, team if n % 2 else None
        )
        vid = await queries.sign_up(recruiter, checked, "1.1.1.1", queries.now())
        people.append(await queries.volunteer(vid))
    base = dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC)
    for step in range(80):
        v = rng.choice(people)
        kind = rng.choice(rules.EARNING)
        at = base + dt.timedelta(days=rng.randint(0, 60))
        ref = f"r{rng.randint(0, 40)}"  # repeats are replays and must change nothing
        await queries.award(queries.person_of_volunteer(v), kind, ref, "随机", at)
        if step % 10 == 0:
            await queries.award(
                queries.person_of_propagandist(recruiter), rules.RECRUIT, ref, "随机", at
            )
    assert await queries.board_rows() == await queries.ledger_sums()
    await assert_counted_scores_and_positions_match_the_rows()
    total = sum(
        r["points"]
        for r in await PointEntry.select(PointEntry.points).where(PointEntry.person_kind == "v")
    )
    assert sum([(await queries.volunteer(v.id)).points for v in people]) == total


async def test_capping_in_sql_equals_the_rule_on_every_boundary(db):
    """queries.CAPPED_SQL (the PostgreSQL award's capping) against rules.capped_points, over
    every combination of amounts and caps around their edges, evaluated by the engine."""
    from campaign.db import engine

    grid = [
        (points, cap, active, earned)
        for points in (-1, 0, 1, 5, 30)
        for cap in (-1, 0, 1, 10, 60)
        for active in (True, False)
        for earned in (0, 1, 9, 10, 59, 60, 100)
    ]
    cases = " UNION ALL ".join(
        f"SELECT {n} AS n, {p} AS points, {c} AS daily_cap, {str(a).upper()} AS active, "
        f"{e} AS earned"
        for n, (p, c, a, e) in enumerate(grid)
    )
    rows = await engine().run_ddl(
        f"SELECT n, {queries.CAPPED_SQL} AS given FROM ({cases}) AS r ORDER BY n"
    )
    assert [r["given"] for r in rows] == [
        rules.capped_points(rules.Rule("quiz", p, c, a), e) for p, c, a, e in grid
    ]


async def assert_counted_scores_and_positions_match_the_rows() -> None:
    """BoardScore equals counting board_row per score, and every person's rank, gap and total
    in every scope equal a brute-force ranking of the rows."""
    from campaign.volunteers.tables import BoardRow, BoardScore

    rows = await BoardRow.select()
    stored = {
        (r["board"], r["bucket"], r["area"], r["points"]): r["n"]
        for r in await BoardScore.select()
        if r["n"]
    }
    assert stored == rules.score_counts(
        (r["board"], r["bucket"], r["district_code"], r["town_code"], r["points"]) for r in rows
    )
    for r in rows:
        for scope, code in (
            ("city", ""),
            ("district", r["district_code"]),
            ("town", r["town_code"]),
        ):
            if r["board"] == rules.TEAMS and scope != "city":
                continue
            column = {"city": None, "district": "district_code", "town": "town_code"}[scope]
            same = [
                o["points"]
                for o in rows
                if (o["board"], o["bucket"]) == (r["board"], r["bucket"])
                and (column is None or o[column] == code)
            ]
            above = [p for p in same if p > r["points"]]
            got = await queries.position(r["board"], r["bucket"], scope, code, r["person_id"])
            assert (got.rank, got.points, got.total) == (1 + len(above), r["points"], len(same))
            assert got.gap == (min(above) - r["points"] if above else None)


async def test_board_pages_rank_ties_and_show_the_gap(recruiter):
    people = []
    for n, pts in enumerate((50, 30, 30, 10)):
        checked = rules.SignupInput(f"王小{n}", f"1360000000{n}", SHUGUANG, None)
        vid = await queries.sign_up(recruiter, checked, "2.2.2.2", queries.now())
        v = await queries.volunteer(vid)
        people.append(v)
        await give(v, pts)
    bucket = rules.bucket("w", queries.local(queries.now()).date())
    entries = await queries.board_page("v", bucket, "city", "")
    assert [(e.rank, e.points) for e in entries] == [(1, 50), (2, 30), (2, 30), (4, 10)]
    assert entries[0].name == "王*0"
    last = await queries.position("v", bucket, "town", "330282005", people[3].id)
    assert (last.rank, last.gap, last.total) == (4, 20, 4)
    second_page = await queries.board_page("v", bucket, "city", "", offset=2, limit=2)
    assert [e.rank for e in second_page] == [2, 4]
    await queries.snapshot_ranks(queries.local(queries.now()).date())
    await give(people[3], 35)
    moved = await queries.board_page("v", bucket, "city", "")
    assert (moved[1].person_id, moved[1].move, moved[1].places) == (people[3].id, "up", 2)
    assert (moved[0].move, moved[2].move) == ("same", "down")
    await assert_counted_scores_and_positions_match_the_rows()


async def test_no_page_shows_another_persons_phone(client, recruiter):
    from tests.helpers.web import login

    await join(client, recruiter)
    v = await only_volunteer()
    await give(v, 10)
    pages = [await client.get(u) for u in ("/v/me", "/v/boards", "/v/boards?board=p", "/v/rewards")]
    client.cookies.clear()
    await login(client, "admin")
    pages += [
        await client.get(u)
        for u in ("/volunteers/people", "/volunteers/propagandists", "/volunteers/stats")
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "13800138000" not in page.text
    assert "138****8000" in pages[4].text


async def test_quiz_bank_has_questions_for_each_default_fraud_type(db):
    from campaign.volunteers.quiz_bank import STARTER_QUESTIONS

    await queries.seed_reference_lists()
    assert await QuizQuestion.count() == len(STARTER_QUESTIONS)
    await queries.seed_reference_lists()
    assert await QuizQuestion.count() == len(STARTER_QUESTIONS)


async def test_concurrent_sign_ups_all_succeed_and_a_doubled_phone_joins_once(app, recruiter):
    import asyncio

    async def one(n: int, phone: str):
        checked = rules.SignupInput(f"并发{n}", phone, SHUGUANG, None)
        try:
            return await queries.sign_up(recruiter, checked, f"7.7.{n}.1", queries.now())
        except queries.SignupRefused as refused:
            return refused.field

    results = await asyncio.gather(
        *(one(n, f"1320000{n:04d}") for n in range(30)),
        *(one(100 + n, "13299999999") for n in range(5)),
    )
    assert all(isinstance(r, int) for r in results[:30])
    assert sorted(r for r in results[30:] if not isinstance(r, int)) == ["phone"] * 4
    assert await Volunteer.count() == 31
    assert (await queries.propagandist(recruiter.id)).recruits == 31
