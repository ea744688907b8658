"""The pure rules of the materials supermarket, checked against brute-force oracles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.materials import rules
from tests.helpers.materials import TINY_MP4, pdf_bytes, png_bytes


def range_oracle(header: str, size: int):
    """Byte positions by the letter of RFC 9110 §14.1.2, enumerated over every byte."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header)
    if not match or match.group(0) == "bytes=-":
        return "ignore"
    first, last = match.groups()
    if first == "":
        n = int(last)
        picked = [i for i in range(size) if i >= size - n]
    else:
        if last and int(last) < int(first):
            return "ignore"
        picked = [i for i in range(size) if int(first) <= i <= (int(last) if last else size)]
    return (picked[0], picked[-1]) if picked else "416"


@given(
    st.integers(0, 40),
    st.one_of(st.none(), st.integers(0, 60)),
    st.one_of(st.none(), st.integers(0, 60)),
)
def test_byte_range_matches_the_rfc_oracle(size, first, last):
    header = f"bytes={'' if first is None else first}-{'' if last is None else last}"
    expected = range_oracle(header, size)
    try:
        got = rules.parse_range(header, size)
    except rules.Unsatisfiable:
        got = "416"
    assert got == (None if expected == "ignore" else expected)


@pytest.mark.parametrize("header", [None, "", "items=0-5", "bytes=0-1,4-5", "bytes=abc", "bytes=5"])
def test_ranges_that_cannot_be_read_are_ignored_for_a_full_answer(header):
    assert rules.parse_range(header, 100) is None


def test_if_range_applies_only_with_the_current_validator():
    assert rules.if_range_allows(None, '"a"', "date")
    assert rules.if_range_allows('"a"', '"a"', "date")
    assert not rules.if_range_allows('"b"', '"a"', "date")
    assert not rules.if_range_allows('W/"a"', '"a"', "date")
    assert rules.if_range_allows("date", '"a"', "date")


def test_sniffing_goes_by_content_not_by_name():
    assert rules.sniff(png_bytes()[:64]).format == "png"
    assert rules.sniff(TINY_MP4[:64]).format == "mp4"
    assert rules.sniff(pdf_bytes()[:64]).format == "pdf"
    assert rules.sniff(b"MZ\x90\x00" + b"\x00" * 60).format == "exe"
    assert rules.format_error("poster", rules.sniff(b"MZ\x90\x00" + b"\x00" * 60))
    assert rules.format_error("video", rules.sniff(png_bytes()[:64]))
    assert rules.format_error("poster", rules.sniff(png_bytes()[:64])) is None


def _reader(data: bytes):
    return lambda offset, length: data[offset : offset + length]


def test_a_whole_mp4_passes_and_a_cut_one_does_not():
    assert rules.mp4_error(_reader(TINY_MP4), len(TINY_MP4)) is None
    for cut in (len(TINY_MP4) - 1, len(TINY_MP4) // 2, 30):
        assert rules.mp4_error(_reader(TINY_MP4[:cut]), cut), cut


def test_an_mp4_without_its_moov_index_is_refused():
    ftyp = (24).to_bytes(4, "big") + b"ftypisom" + b"\x00" * 12
    mdat = (16).to_bytes(4, "big") + b"mdat" + b"\x00" * 8
    assert "moov" in rules.mp4_error(_reader(ftyp + mdat), len(ftyp + mdat))


@given(st.integers(1, 40), st.integers(1, 50))
def test_pdf_pages_are_counted_the_same_in_any_chunking(pages, chunk):
    data = pdf_bytes(pages)
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    assert rules.pdf_page_count(chunks) == (pages, pages)


def test_a_pdf_claiming_absurd_pages_is_a_bomb():
    assert rules.pdf_error(*rules.pdf_page_count([pdf_bytes(1, claimed=10**9)]))
    assert rules.pdf_error(*rules.pdf_page_count([pdf_bytes(3)])) is None


@given(st.text())
def test_display_names_never_carry_a_path_or_control_characters(raw):
    name = rules.display_filename(raw, "png")
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert name.endswith(".png") and len(name) <= 84
    assert all(ch.isprintable() for ch in name)


def test_path_traversal_names_become_plain_names():
    assert rules.display_filename("../../etc/passwd", "png") == "passwd.png"
    assert rules.display_filename("..\\..\\win.ini", "pdf") == "win.pdf"
    assert rules.storage_key(7, 2, "ab12", "png") == "materials/7/v2-ab12.png"


@given(st.text())
def test_articles_never_pass_on_a_tag_the_author_typed(text):
    out = rules.render_article(text)
    ours = re.sub(r"</?(p|br|ul|li|h2|h3|strong)>", "", out)
    assert "<" not in ours and ">" not in ours.replace("&gt;", "")


def test_article_markup_is_rendered():
    out = rules.render_article(
        "# 标题\n\n第一段 **重点**\n\n- 不转账\n- 不透露验证码\n<script>x</script>"
    )
    assert "<h2>标题</h2>" in out and "<strong>重点</strong>" in out
    assert "<li>不转账</li>" in out and "&lt;script&gt;" in out


@given(st.lists(st.sampled_from(rules.AUDIENCES), unique=True))
def test_lists_round_trip_and_match_as_substrings(items):
    stored = rules.join_list(items)
    assert rules.split_list(stored) == items
    for item in rules.AUDIENCES:
        assert (f";{item};" in stored) == (item in items)


def test_visibility_and_editing():
    today = dt.date(2026, 7, 9)
    live = {
        "status": "approved",
        "valid_from": None,
        "valid_until": None,
        "team": "A",
        "author_id": 1,
    }
    assert rules.may_see(live, 9, "coordinator", None, today)
    pending = {**live, "status": "pending"}
    assert not rules.may_see(pending, 9, "team", "B", today)
    assert rules.may_see(pending, 9, "team", "A", today)
    assert rules.may_see(pending, 9, "admin", None, today)
    expired = {**live, "valid_until": dt.date(2026, 7, 8)}
    assert not rules.may_see(expired, 9, "leader", None, today)
    assert not rules.may_edit(live, 9, "team", "B")
    assert rules.may_edit(live, 1, "team", None)


def test_latest_full_week_is_the_week_before_this_one():
    assert rules.latest_full_week(dt.date(2026, 11, 25)) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 22),
    )


def test_upload_form_errors_are_beside_their_fields():
    values, errors = rules.validate_material(
        {
            "kind": ["slogan"],
            "title": [""],
            "valid_from": ["2026-07-09"],
            "valid_until": ["2026-07-01"],
        },
        ["贷款"],
        creating=True,
    )
    assert set(errors) == {"title", "body", "valid_until"}
    assert values["valid_from"] == "2026-07-09"


TYPES = ("贷款", "投资理财", "兼职刷单", "网络游戏")
GROUPS = ("学生", "老人", "宝妈")
materials_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "fraud_types": st.lists(st.sampled_from(TYPES), unique=True).map(rules.join_list),
            "audiences": st.lists(st.sampled_from(GROUPS), unique=True).map(rules.join_list),
            "downloads": st.integers(0, 5_000),
        }
    ),
    max_size=15,
)
themes_strategy = st.lists(
    st.tuples(st.sampled_from(TYPES), st.integers(1, 50)), unique_by=lambda t: t[0], max_size=3
)
groups_strategy = st.lists(
    st.tuples(st.sampled_from(GROUPS), st.integers(1, 50)), unique_by=lambda t: t[0], max_size=3
)


@given(materials_strategy, themes_strategy, groups_strategy, st.integers(1, 8))
def test_recommendations_rank_by_match_before_downloads(items, types, groups, limit):
    """Oracle: walk every material, add up the week's cases of each theme it carries; the shelf
    is the best `limit` of the matching ones by (type cases, group cases, downloads, id)."""
    for i, item in enumerate(items):
        item["id"] = i + 1

    def key(m):
        type_cases = sum(n for t, n in types if f";{t};" in m["fraud_types"])
        group_cases = sum(n for g, n in groups if f";{g};" in m["audiences"])
        return (type_cases, group_cases, m["downloads"], m["id"])

    matching = [m for m in items if key(m)[:2] != (0, 0)]
    expected = sorted(matching, key=key, reverse=True)[:limit]
    assert rules.rank_recommendations(items, types, groups, limit) == expected


def test_a_quiet_material_on_the_top_fraud_type_beats_a_popular_one_for_a_victim_group():
    top = {"id": 1, "fraud_types": ";贷款;", "audiences": ";宝妈;", "downloads": 3}
    popular = {"id": 2, "fraud_types": ";网络游戏;", "audiences": ";学生;", "downloads": 4_000}
    shelf = rules.rank_recommendations([popular, top], [("贷款", 12)], [("学生", 30)], 6)
    assert shelf == [top, popular]
