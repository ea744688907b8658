"""Points, boards, masking, signed codes and limits: the pure rules against brute-force oracles."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from campaign.accounts.rules import mask_phone, normalize_phone, phone_digest
from campaign.volunteers import forms, rules

SECRET = "s3cret"
DAY = dt.date(2026, 11, 25)


# -- Names and phones ---------------------------------------------------------------------------


def test_names_are_masked_keeping_first_and_last_character():
    assert rules.mask_name("张三明") == "张*明"
    assert rules.mask_name("张三") == "张*"
    assert rules.mask_name("欧阳小明") == "欧**明"
    assert rules.mask_name("李") == "李"


@given(st.text(min_size=2, max_size=12).filter(lambda s: s.strip() == s and s))
def test_a_masked_name_never_shows_the_middle(name):
    masked = rules.mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0]
    assert set(masked[1:-1]) <= {"*"}


def test_phones_normalise_and_hash_with_the_key():
    assert normalize_phone("+86 138-0013-8000") == "13800138000"
    assert normalize_phone("12345") is None
    assert normalize_phone("23800138000") is None
    assert phone_digest("13800138000", "a") != phone_digest("13800138000", "b")
    assert phone_digest("138 0013 8000", "a") == phone_digest("13800138000", "a")
    assert mask_phone("13800138000") == "138****8000"


# -- Points -------------------------------------------------------------------------------------


@given(
    points=st.integers(0, 50),
    cap=st.integers(0, 200),
    actions=st.integers(0, 30),
)
def test_daily_cap_is_never_exceeded_and_uncapped_rules_pay_every_time(points, cap, actions):
    rule = rules.Rule("quiz", points, cap)
    earned = 0
    for _ in range(actions):
        earned += rules.capped_points(rule, earned)
    if cap == 0:
        assert earned == points * actions
    else:
        assert earned <= cap
        assert earned == min(cap, points * actions)


def test_inactive_rule_pays_nothing():
    assert rules.capped_points(rules.Rule("quiz", 10, 0, active=False), 0) == 0


def test_buckets_are_the_week_monday_the_month_and_all_time():
    assert rules.buckets(dt.date(2026, 11, 29)) == ("a", "w2026-11-23", "m2026-11")
    assert rules.bucket("w", dt.date(2026, 11, 30)) == "w2026-11-30"


awards = st.lists(
    st.builds(
        rules.Award,
        person_kind=st.sampled_from(["p", "v"]),
        person_id=st.integers(1, 5),
        points=st.integers(-20, 40),
        day=st.dates(dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        kind=st.sampled_from([*rules.EARNING, rules.REDEEM]),
        team_id=st.sampled_from([None, 1, 2]),
    ),
    max_size=60,
)


@given(awards)
def test_maintained_boards_equal_sums_over_the_ledger(entries):
    """Applying awards one at a time gives what summing the whole ledger per bucket gives."""
    maintained = rules.apply_awards(entries)
    oracle: dict[tuple[str, str, int], int] = {}
    for e in entries:
        if e.kind not in rules.EARNING or e.points == 0:
            continue
        for period in ("a", "w", "m"):
            key = (e.person_kind, rules.bucket(period, e.day), e.person_id)
            oracle[key] = oracle.get(key, 0) + e.points
            if e.person_kind == "v" and e.team_id:
                tkey = ("t", rules.bucket(period, e.day), e.team_id)
                oracle[tkey] = oracle.get(tkey, 0) + e.points
    assert {k: v for k, v in maintained.items()} == oracle


PLACES = {1: ("330282", "330282005"), 2: ("330282", "330282108"), 3: ("330211", "330211001")}


def _place(board: str, person: int) -> tuple[str, str]:
    return ("", "") if board == rules.TEAMS else PLACES.get(person, ("", ""))


@given(awards)
def test_score_counts_moved_award_by_award_equal_counts_of_the_final_boards(entries):
    """What each award does to the counted scores (old score -1, new +1 in city, district and
    town), summed over the awards, equals counting the final boards' rows per score."""
    boards: dict[tuple[str, str, int], int] = {}
    counted: dict[tuple[str, str, str, int], int] = {}
    for e in entries:
        changed = []
        for board, bucket_key, person, points in rules.board_updates(e):
            key = (board, bucket_key, person)
            old = boards.get(key, 0)
            boards[key] = old + points
            changed.append((board, bucket_key, *_place(board, person), old, old + points))
        for key, n in rules.score_moves(changed).items():
            counted[key] = counted.get(key, 0) + n
    oracle: dict[tuple[str, str, str, int], int] = {}
    for (board, bucket_key, person), points in boards.items():
        if points <= 0:
            continue
        for area in {"", *_place(board, person)}:
            key = (board, bucket_key, area, points)
            oracle[key] = oracle.get(key, 0) + 1
    assert {k: n for k, n in counted.items() if n} == oracle
    rows = [(b, k, *_place(b, p), points) for (b, k, p), points in boards.items()]
    assert rules.score_counts(rows) == oracle


# -- Ranking ------------------------------------------------------------------------------------


def brute_rank(points: list[int], value: int) -> int:
    return 1 + sum(1 for p in points if p > value)


@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=40),
    st.integers(0, 45),
    st.integers(1, 15),
)
def test_page_ranks_match_competition_ranking_of_the_whole_board(points, offset, size):
    board = sorted(enumerate(points, start=1), key=lambda item: (-item[1], item[0]))
    page = board[offset : offset + size]
    if not page:
        return
    first_rank = brute_rank(points, page[0][1])
    ranks = rules.page_ranks(page, offset, first_rank)
    assert ranks == [brute_rank(points, value) for _pid, value in page]


def test_ties_share_a_rank_and_the_next_rank_skips():
    assert rules.page_ranks([(1, 9), (2, 7), (3, 7), (4, 5)], 0, 1) == [1, 2, 2, 4]


def test_rank_arrows_and_gap_to_the_next_place():
    assert rules.rank_move(5, 2) == ("up", 3)
    assert rules.rank_move(2, 5) == ("down", 3)
    assert rules.rank_move(2, 2) == ("same", 0)
    assert rules.rank_move(None, 2) == ("new", 0)
    assert rules.gap_to_next(40, 55) == 15
    assert rules.gap_to_next(40, None) is None


# -- Signed codes -------------------------------------------------------------------------------


def test_recruit_token_round_trips_and_binds_id_and_area():
    token = rules.recruit_token(42, ["330282005", "330282005001"], SECRET)
    claim = rules.read_recruit_token(token, SECRET)
    assert claim == rules.RecruitClaim(42, rules.area_digest(["330282005001", "330282005"]))
    assert claim.area_digest != rules.area_digest(["330282005"])
    assert rules.read_recruit_token(token, "other-key") is None


@given(
    st.integers(0, 200),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
)
def test_any_changed_character_of_a_recruit_token_is_rejected(position, char):
    token = rules.recruit_token(7, ["330282005"], SECRET)
    position %= len(token)
    if token[position] == char or token[position] == ".":
        return
    forged = token[:position] + char + token[position + 1 :]
    claim = rules.read_recruit_token(forged, SECRET)
    assert claim is None or claim == rules.read_recruit_token(token, SECRET)


def test_forged_recruit_token_for_another_id_is_rejected():
    token = rules.recruit_token(7, ["330282005"], SECRET)
    body, mac = token.split(".")
    other = rules.recruit_token(8, ["330282005"], "guess").split(".")[0]
    assert rules.read_recruit_token(f"{other}.{mac}", SECRET) is None
    assert rules.read_recruit_token("garbage", SECRET) is None
    assert rules.read_recruit_token("a.b.c", SECRET) is None


def test_volunteer_session_cookie_is_signed_and_expires():
    value = rules.session_value(9, 1_000_000, SECRET)
    assert rules.read_session(value, SECRET, 1_000_100) == 9
    assert rules.read_session(value.replace("9.", "8.", 1), SECRET, 1_000_100) is None
    assert rules.read_session(value, SECRET, 1_000_000 + rules.SESSION_DAYS * 86400 + 1) is None
    assert rules.read_session(None, SECRET, 0) is None


def test_checkin_signature_is_per_event():
    sig = rules.checkin_signature(5, SECRET)
    assert rules.checkin_signature_ok(5, sig, SECRET)
    assert not rules.checkin_signature_ok(6, sig, SECRET)


# -- Limits -------------------------------------------------------------------------------------


def test_five_wrong_codes_lock_the_code():
    later = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    expires = later + dt.timedelta(minutes=5)
    outcomes = [rules.otp_outcome(a, False, expires, later, False) for a in range(5)]
    assert outcomes == ["wrong"] * 4 + ["locked"]
    assert rules.otp_outcome(5, False, expires, later, True) == "locked"
    assert rules.otp_outcome(0, False, expires, later, True) == "ok"
    assert rules.otp_outcome(0, False, later - dt.timedelta(seconds=1), later, True) == "expired"
    assert rules.otp_outcome(0, True, expires, later, True) == "used"


def test_checkin_window_refuses_events_that_are_over_or_far_off():
    start = dt.datetime(2026, 11, 29, 9, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=2)
    assert rules.checkin_problem(start, end, "submitted", start + dt.timedelta(hours=1)) is None
    assert rules.checkin_problem(start, end, "verified", end + dt.timedelta(hours=2)) == "over"
    assert rules.checkin_problem(start, end, "verified", start - dt.timedelta(days=3)) == "early"
    assert rules.checkin_problem(start, end, "returned", start) == "returned"


@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 300)), max_size=200))
def test_bursts_match_counting_per_key_and_hour(signups):
    base = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    stamped = [(key, base + dt.timedelta(minutes=m)) for key, m in signups]
    found = rules.bursts(stamped, threshold=5)
    for key, hour, n in found:
        assert n == sum(1 for k, at in stamped if k == key and at.replace(minute=0) == hour)
        assert n >= 5
    counts: dict = {}
    for key, at in stamped:
        counts[(key, at.replace(minute=0))] = counts.get((key, at.replace(minute=0)), 0) + 1
    assert len(found) == sum(1 for n in counts.values() if n >= 5)


def test_daily_questions_are_stable_for_the_day_and_change_the_next():
    pool = list(range(1, 40))
    today = rules.daily_questions(pool, 3, DAY)
    assert today == rules.daily_questions(pool, 3, DAY)
    assert len(set(today)) == rules.QUIZ_SIZE
    days = {tuple(rules.daily_questions(pool, 3, DAY + dt.timedelta(days=d))) for d in range(5)}
    assert len(days) > 1


def test_quiz_passes_with_two_of_three():
    assert rules.quiz_passed(2, 3) and not rules.quiz_passed(1, 3) and not rules.quiz_passed(0, 0)


def test_signup_throttle_and_area_checks():
    assert rules.signup_allowed(rules.SIGNUPS_PER_WINDOW - 1)
    assert not rules.signup_allowed(rules.SIGNUPS_PER_WINDOW)
    area = rules.area_codes(rules.area_text(["330282005", "330282102001"]))
    assert rules.in_area(area, "330282005003", "330282005")
    assert rules.in_area(area, "330282102001", "330282102")
    assert not rules.in_area(area, "330282102002", "330282102")
    assert rules.area_inside_unit(area, ["330282005", "330282102"])
    assert not rules.area_inside_unit(area, ["330282005"])


def test_badges_follow_points_and_activity():
    got = dict(rules.badges(120, {rules.CHECKIN: 3, rules.QUIZ: 1}))
    assert {"first_points", "checkin", "hundred"} <= set(got)
    assert "quiz" not in got
    assert rules.badges(0, {}) == []


def test_check_signup_reports_each_field():
    checked, errors = rules.check_signup(
        {"nickname": "", "phone": "123", "village": "x", "team": "9"},
        ["330282005001"],
        [1],
        normalize_phone,
    )
    assert checked is None and set(errors) == {"nickname", "phone", "village", "team"}
    checked, errors = rules.check_signup(
        {"nickname": "小王", "phone": "13800138000", "village": "330282005001", "team": ""},
        ["330282005001"],
        [1],
        normalize_phone,
    )
    assert errors == {} and checked == rules.SignupInput(
        "小王", "13800138000", "330282005001", None
    )


def test_new_codes_are_six_digits():
    code = rules.new_otp(random.Random(1))
    assert len(code) == 6 and code.isdigit()


def test_forms_take_only_ascii_numbers():
    """A Unicode digit such as ² passes str.isdigit() but not int(): it used to answer 500."""
    assert forms.quiz_choices({"q1": "²", "q2": "1"}, [1, 2]) == {1: -1, 2: 1}
    assert forms.reward_form({"id": "²", "name": "杯子"})[0] is None
    assert forms.reward_form({"id": "7"})[0] == 7
