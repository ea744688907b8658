"""Zero-case streak pages (boards, honour roll, feed, unit pages) and GET /api/v1/streaks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery

from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser, Scope, covers
from campaign.db import read_transaction
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.parsing import parse_date, parse_int
from campaign.regions import queries as regions
from campaign.regions import rules as region_rules
from campaign.streaks import queries, rules
from campaign.timeutil import today
from campaign.web import current_user, deny, list_filters, pager, render, wants_xlsx, xlsx_response

ROLES = (ADMIN, LEADER, COORDINATOR)
LEVEL_LABELS = {"station": _l("派出所"), "village": _l("村社"), "town": _l("镇街")}
API_LIMIT, API_MAX_LIMIT = 100, 1000
PER_PAGE = 100
PINNED_MAX = 5  # own units pinned above a board; a town's 25 villages are highlighted instead
FILTER_KEYS = ("level", "district", "town", "q", "as_of")
HEATMAP_DAYS = 365


def parse_level(value: str | None, default: str | None = "station") -> str:
    level = (value or "").strip() or default
    if level not in queries.LEVELS:
        raise ValidationException(_("级别应为 station(派出所)、village(村社)或 town(镇街)"))
    return level


def parse_as_of(value: str | None) -> dt.date:
    """A day on or before today; today when not given."""
    value = (value or "").strip()
    if not value:
        return today()
    day = parse_date(value)
    if day is None:
        raise ValidationException(_("日期格式应为 YYYY-MM-DD,例如 2026-07-09"))
    if day > today():
        raise ValidationException(_("日期不能晚于今天"))
    return day


async def check_area(
    user: CurrentUser, district: str | None, town: str | None, board: Scope | None = None
) -> None:
    """A district or town filter must exist and lie around or inside the person's jurisdiction:
    a town coordinator may filter by their own district (rows stay limited to the town), never
    by another one. On a board widened to `board` (see board_scope), any town in it will do."""
    if district:
        row = await regions.region(district)
        if row is None or row["level"] != "district":
            raise ValidationException(_("区县代码 %(code)s 不存在", code=district))
        if not (user.is_admin or await _scope_in_district(user, district)):
            raise deny()
    if town:
        row = await regions.region(town)
        if row is None or row["level"] != "town":
            raise ValidationException(_("镇街代码 %(code)s 不存在", code=town))
        place = regions.place_from_row(row)
        if not (user.can_read(place) or (board and covers(board, place))):
            raise deny()


async def board_scope(user: CurrentUser) -> Scope:
    """Whose rows a board shows: a town or station coordinator competes with the whole
    district, so their board widens to it (names and days are not secret; a unit's case days
    and unit page stay within their own jurisdiction)."""
    if user.scope.kind not in ("town", "station") or user.scope.code is None:
        return user.scope
    row = await (regions.region if user.scope.kind == "town" else regions.station)(user.scope.code)
    return Scope("district", row["district_code"]) if row else user.scope


async def _scope_in_district(user: CurrentUser, district: str) -> bool:
    scope = user.scope
    if scope.is_city:
        return True
    if scope.kind == "district" or scope.code is None:
        return scope.code == district
    row: regions.RegionRow | regions.StationRow | None
    if scope.kind == "town":
        row = await regions.region(scope.code)
    else:
        row = await regions.station(scope.code)
    return row is not None and row["district_code"] == district


def _board_xlsx(level: str, board: queries.Board):
    return xlsx_response(
        _("%(level)s连续零发案榜", level=LEVEL_LABELS[level]),
        [
            _("名次"),
            _("编码"),
            _("名称"),
            _("区县"),
            _("镇街"),
            _("连续零发案天数"),
            _("里程碑(天)"),
            _("最长纪录(天)"),
            _("纪录起"),
            _("纪录止"),
            _("最近发案日"),
        ],
        (
            [
                r["rank"],
                r["code"],
                r["name"],
                r["district_name"],
                r["town_name"],
                r["current_days"],
                r["milestone"],
                r["longest_days"],
                r["longest_from"],
                r["longest_to"],
                r["last_case_on"],
            ]
            for r in board.rows
        ),
    )


async def _filter_options(user: CurrentUser, district: str, scope: Scope | None = None) -> dict:
    scope = scope or user.scope
    towns = []
    if district:
        towns = await regions.regions(scope, {"level": "town", "parent": district}, limit=None)
    return {"district_choice": await regions.chosen("district", district), "towns": towns}


class StreakController(Controller):
    include_in_schema = False
    opt = {"roles": ROLES}

    @get("/streaks")
    async def board(self, request: Request) -> object:
        """The leaderboard of one level, filtered, paged, exportable. No transaction around it: a
        kept board needs no database, and one that is not kept reads in one (kept_board)."""
        user = current_user(request)
        filters = list_filters(request, *FILTER_KEYS)
        level = parse_level(filters["level"])
        as_of = parse_as_of(filters["as_of"])
        board_area = await board_scope(user)
        await check_area(user, filters["district"], filters["town"], board_area)
        if (
            filters["town"]
            and filters["district"]
            and not filters["town"].startswith(filters["district"])
        ):
            filters["town"] = ""  # the district changed: its towns are offered anew
        args: dict[str, Any] = dict(
            district=filters["district"] or None,
            town=filters["town"] or None,
            q=filters["q"] or None,
            scope=board_area,
        )
        if wants_xlsx(request):
            async with read_transaction():
                return _board_xlsx(
                    level, await queries.streak_board(level, as_of, limit=None, **args)
                )
        asked = pager(request, 10**9, PER_PAGE)  # the page asked for, clamped below
        board = await queries.kept_board(
            level, as_of, offset=asked.offset, limit=PER_PAGE, rank_change=True, **args
        )
        p = pager(request, board.total or 0, PER_PAGE)  # a page's board is counted
        if p.offset != asked.offset:
            board = await queries.kept_board(
                level, as_of, offset=p.offset, limit=PER_PAGE, rank_change=True, **args
            )
        own = None  # None: every row is the person's own
        if board_area != user.scope:  # a town's or station's units: a short board
            own = await queries.kept_board(level, as_of, limit=None, scope=user.scope)
        return render(
            request,
            "streaks/board.html",
            "streaks/_board_rows.html",
            board=board,
            level=level,
            filters={**filters, "level": level},
            pager=p,
            is_today=as_of == today(),
            oob=bool(request.headers.get("hx-request")),
            levels=LEVEL_LABELS,
            milestone_title=rules.milestone_title,
            mine=None if own is None else {r["code"] for r in own.rows},
            pinned=[] if own is None or len(own.rows) > PINNED_MAX else own.rows,
            active_nav="streaks",
            **await _filter_options(user, filters["district"], board_area),
        )

    @get("/streaks/honours")
    async def honours(self, request: Request) -> object:
        """Units at or past a milestone, grouped by the highest one reached."""
        async with read_transaction():
            user = current_user(request)
            filters = list_filters(request, *FILTER_KEYS)
            level = parse_level(filters["level"])
            await check_area(user, filters["district"], None)
            export = wants_xlsx(request)
            groups = await queries.honours(
                level,
                today(),
                filters["district"] or None,
                scope=user.scope,
                per_group=None if export else 60,
            )
            if export:
                return xlsx_response(
                    _("零发案光荣榜"),
                    [_("里程碑"), _("编码"), _("名称"), _("区县"), _("镇街"), _("连续零发案天数")],
                    (
                        [
                            rules.milestone_title(level, g["milestone"]),
                            r["code"],
                            r["name"],
                            r["district_name"],
                            r["town_name"],
                            r["current_days"],
                        ]
                        for g in groups
                        for r in g["rows"]
                    ),
                )
            return render(
                request,
                "streaks/honours.html",
                "streaks/_honours.html",
                groups=groups,
                level=level,
                filters={**filters, "level": level},
                levels=LEVEL_LABELS,
                milestone_title=rules.milestone_title,
                active_nav="streaks",
                district_choice=await regions.chosen("district", filters["district"]),
            )

    @get("/streaks/feed")
    async def feed(self, request: Request) -> object:
        """Milestones reached and streaks broken, newest first."""
        async with read_transaction():
            user = current_user(request)
            filters = list_filters(request, *FILTER_KEYS)
            level = parse_level(filters["level"], default=None) if filters["level"] else None
            await check_area(user, filters["district"], None)
            args: dict[str, Any] = dict(
                level=level, district=filters["district"] or None, scope=user.scope
            )
            if wants_xlsx(request):
                _total, rows = await queries.feed(**args, limit=None)
                return xlsx_response(
                    _("零发案动态"),
                    [_("日期"), _("级别"), _("编码"), _("名称"), _("区县"), _("事件"), _("天数")],
                    (
                        [
                            r["day"],
                            str(LEVEL_LABELS[r["level"]]),
                            r["code"],
                            r["name"],
                            r["district_name"],
                            rules.milestone_title(r["level"], r["milestone"])
                            if r["kind"] == "milestone"
                            else _("连续零发案中断"),
                            r["days"],
                        ]
                        for r in rows
                    ),
                )
            p = pager(request, await queries.feed_total(**args), PER_PAGE)
            _total, rows = await queries.feed(**args, offset=p.offset, limit=p.per_page)
            return render(
                request,
                "streaks/feed.html",
                "streaks/_feed_rows.html",
                events=rows,
                pager=p,
                filters=filters,
                levels=LEVEL_LABELS,
                milestone_title=rules.milestone_title,
                active_nav="streaks",
                district_choice=await regions.chosen("district", filters["district"]),
            )

    @get("/streaks/{level:str}/{code:str}")
    async def unit_page(
        self, request: Request, level: FromPath[str], code: FromPath[str]
    ) -> object:
        """One unit: streak, personal best, rank now and a week ago, case calendar."""
        async with read_transaction():
            user = current_user(request)
            level = parse_level(level)
            row = await queries.unit(level, code)
            if row is None:
                raise NotFoundException(
                    _("%(level)s %(code)s 不存在", level=LEVEL_LABELS[level], code=code)
                )
            if not _can_see_unit(user, level, row):
                raise deny()
            as_of = today()
            streak = await queries.unit_streak(level, row, as_of)
            start = as_of - dt.timedelta(days=HEATMAP_DAYS - 1)
            counts = dict(await queries.daily_case_counts(level, code, start, as_of))
            return render(
                request,
                "streaks/unit.html",
                unit=row,
                level=level,
                streak=streak,
                months=rules.calendar_months(start, as_of, counts),
                year_cases=sum(counts.values()),
                case_days=await queries.recent_case_days(level, row),
                levels=LEVEL_LABELS,
                milestone_title=rules.milestone_title,
                as_of=as_of,
                active_nav="streaks",
            )


def _can_see_unit(user: CurrentUser, level: str, row: queries.UnitPlace) -> bool:
    if user.is_admin or user.scope.is_city:
        return True
    if level == "station":
        return region_rules.station_in_scope(
            user.scope, row["code"], row["district_code"], row["towns"]
        )
    return user.can_read(regions.place_from_row(row))


# -- JSON API ----------------------------------------------------------------------------------


@dataclass
class StreakItem:
    rank: int
    code: str
    name: str
    current_days: int
    longest_days: int
    longest_from: dt.date | None
    longest_to: dt.date | None
    last_case_on: dt.date | None
    milestone: int | None


@dataclass
class StreakBoard:
    level: str
    as_of: dt.date
    tracked_since: dt.date | None
    items: list[StreakItem]


def parse_limit(value: str | None) -> int:
    """1–1,000; larger values are capped at 1,000 rather than refused."""
    value = (value or "").strip()
    if not value:
        return API_LIMIT
    limit = parse_int(value, 1)
    if limit is None:
        raise ValidationException(_("limit 应为 1 到 1000 之间的整数"))
    return min(limit, API_MAX_LIMIT)


class StreakApiController(Controller):
    path = "/api/v1"
    tags = ["streaks"]
    opt = {"roles": ROLES}

    @get("/streaks")
    async def streaks(
        self,
        request: Request,
        level: FromQuery[str | None] = None,
        as_of: FromQuery[str | None] = None,
        district: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> StreakBoard:
        """The zero-case streak leaderboard of one level (docs/definitions.md; the API in the README).

        - `level`: station, village or town (default station);
        - `as_of`: YYYY-MM-DD, not after today (default today); cases after it are ignored;
        - `district`: a district code; only units in it (ranks stay city-wide);
        - `limit`: rows from the top, default 100; values above 1,000 are capped at 1,000.

        Items are in board order: longest current streak first, ties share a rank (standard
        competition ranking) and are ordered by code. Only units in the caller's jurisdiction are
        listed; a district outside it is 403. Bad level, date or limit: 400 with a Chinese
        message."""
        user = current_user(request)
        level_value = parse_level(level)
        day = parse_as_of(as_of)
        count = parse_limit(limit)
        await check_area(user, district, None)
        board = await queries.kept_board(
            level_value,
            day,
            district=district or None,
            limit=count,
            scope=user.scope,
            details=False,
        )
        return StreakBoard(
            level=level_value,
            as_of=day,
            tracked_since=board.tracked_since,
            items=[
                StreakItem(
                    rank=r["rank"],
                    code=r["code"],
                    name=r["name"],
                    current_days=r["current_days"],
                    longest_days=r["longest_days"],
                    longest_from=r["longest_from"],
                    longest_to=r["longest_to"],
                    last_case_on=r["last_case_on"],
                    milestone=r["milestone"],
                )
                for r in board.rows
            ],
        )
