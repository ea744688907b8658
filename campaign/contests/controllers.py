"""Contest pages (list, form, standings with explanations and trends), their JSON API, and the
leadership view with its wall-screen mode."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign import rules as shared_rules
from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser
from campaign.contests import forms, jobs, queries, rules
from campaign.i18n import _
from campaign.jobs import enqueue
from campaign.parsing import int_or
from campaign.regions import queries as regions
from campaign.timeutil import local, today
from campaign.web import (
    client_ip,
    current_user,
    deny,
    list_filters,
    pager,
    render,
    wants_xlsx,
    xlsx_response,
)

READERS = (ADMIN, LEADER, COORDINATOR)
PER_PAGE = 50
PINNED_MAX = 5  # a station coordinator over several towns still gets a short pinned list


def fact_text(metric: str, facts: dict) -> str:
    """A metric's raw value as a person reads it, with what it was computed from."""
    if metric == "cases":
        return _("%(n)s 起", n=facts["cases"])
    if metric == "cases_per_10k":
        if not facts["population"]:
            return _("%(n)s 起,常住人口未知", n=facts["cases"])
        rate = shared_rules.per_10k(facts["cases"], facts["population"])
        return _(
            "%(rate).2f(%(n)s 起 / 常住 %(pop)s 人)",
            rate=rate,
            n=facts["cases"],
            pop=f"{facts['population']:,}",
        )
    if metric in ("change_mom", "change_yoy"):
        c: shared_rules.Change = facts[metric]
        if c.previous == 0:
            head = _("新增 %(n)s 起", n=c.this) if c.this else _("均为 0 起")
        else:
            head = _(
                "%(prev)s → %(this)s 起,%(pct)+.1f%%",
                prev=c.previous,
                this=c.this,
                pct=(c.ratio or 0.0) * 100,
            )
        verdict = _("显著,计分") if c.flagged else _("不显著,按无变化计")
        return _("%(head)s;z=%(z).2f(%(verdict)s)", head=head, z=c.z, verdict=verdict)
    if metric == "loss":
        return _("%(yuan)s 元", yuan=f"{facts['loss_fen'] / 100:,.2f}")
    if metric == "zero_days":
        return _("%(zero)s / %(days)s 天", zero=facts["zero_days"], days=facts["days"])
    value = facts.get(metric)
    return "—" if value is None else f"{value:,.1f}"


async def _readable_contest(user: CurrentUser, contest_id: int) -> rules.ContestRow:
    contest = await queries.contest(contest_id)
    if contest is None:
        raise NotFoundException(_("竞赛不存在"))
    if not await queries.contest_visible(contest, user.scope):
        raise deny()
    return contest


async def _own_codes(
    user: CurrentUser, contest: rules.ContestRow, standings: queries.Standings
) -> set[str]:
    """The units of the standings inside the person's jurisdiction (every unit for the city)."""
    codes = [r.code for r in standings.rows]
    if user.scope.is_city:
        return set(codes)
    return await queries.visible_codes(user.scope, contest["level"], codes)


async def _visible_standings(user: CurrentUser, contest: rules.ContestRow) -> queries.Standings:
    standings = await queries.standings_with_moves(contest)
    if user.scope.is_city:
        return standings
    codes = [r.code for r in standings.rows]
    return standings.limited_to(await queries.visible_codes(user.scope, contest["level"], codes))


def _describe(contest: rules.ContestRow, districts: dict[str, str]) -> dict:
    """Labels for a contest's level, scope, status and rule."""
    return {
        "level_label": forms.LEVEL_LABELS[contest["level"]],
        "scope_label": districts.get(contest["district_code"] or "") or _("全市"),
        "status": rules.contest_status(contest["start_on"], contest["end_on"], today()),
        "rule": [
            (forms.METRIC_LABELS[m["metric"]], m["weight"], m["metric"]) for m in contest["metrics"]
        ],
    }


async def _read_form(request: Request) -> tuple[dict, dict | None, dict]:
    """The contest form checked (forms.read), its district looked up alone: a picker sends one
    code, where a province has ninety districts and the country 2,800."""
    form = await request.form()
    chosen = await regions.chosen("district", (form.get("district") or "").strip())
    districts = {chosen.code: chosen.name} if chosen else {}
    return forms.read(form, districts, queries.available_metrics())


class ContestController(Controller):
    path = "/contests"
    include_in_schema = False
    opt = {"roles": READERS}

    @get("/")
    async def index(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, "q", "level", "status", "district")
        if wants_xlsx(request):
            rows = await queries.contests(user.scope, filters, limit=None)
            return xlsx_response(
                _("控案竞赛"),
                [
                    _("名称"),
                    _("参赛级别"),
                    _("范围"),
                    _("开始"),
                    _("结束"),
                    _("状态"),
                    _("计分指标"),
                ],
                (
                    [
                        r["name"],
                        str(forms.LEVEL_LABELS[r["level"]]),
                        r["district_name"] or _("全市"),
                        r["start_on"].isoformat(),
                        r["end_on"].isoformat(),
                        str(forms.STATUS_LABELS[r["status"]]),
                        "、".join(
                            f"{forms.METRIC_LABELS[m['metric']]}×{m['weight']:g}"
                            for m in r["metrics"]
                        ),
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.contest_count(user.scope, filters))
        return render(
            request,
            "contests/contests.html",
            "contests/_contest_rows.html",
            contests=await queries.contests(user.scope, filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            districts=await queries.contest_districts(),
            forms=forms,
            active_nav="contests",
        )

    async def _form(
        self, values: dict, errors: dict, contest_id: int | None = None, status: int = 200
    ) -> Template:
        return Template(
            template_name="contests/contest_form.html",
            context={
                "values": values,
                "errors": errors,
                "contest_id": contest_id,
                # a picker (GET /pick/district): empty for a city-wide contest
                "district_choice": await regions.chosen("district", values.get("district")),
                "metrics": queries.available_metrics(),
                "forms": forms,
                "active_nav": "contests",
            },
            status_code=status,
        )

    @get("/new", opt={"roles": (ADMIN,)})
    async def new(self) -> Template:
        return await self._form(forms.blank(today()), {})

    @post("/new", opt={"roles": (ADMIN,)})
    async def create(self, request: Request) -> Template | Redirect:
        typed, values, errors = await _read_form(request)
        if values is None:
            return await self._form(typed, errors, status=400)
        contest_id = await queries.create_contest(values, current_user(request), client_ip(request))
        await enqueue(jobs.backfill_contest, contest_id)
        flash(request, _("已创建竞赛 %(name)s", name=values["name"]), "success")
        return Redirect(path=f"/contests/{contest_id}")

    @get("/{contest_id:int}/edit", opt={"roles": (ADMIN,)})
    async def edit(self, contest_id: FromPath[int]) -> Template:
        contest = await queries.contest(contest_id)
        if contest is None:
            raise NotFoundException(_("竞赛不存在"))
        return await self._form(forms.from_contest(contest), {}, contest_id)

    @post("/{contest_id:int}/edit", opt={"roles": (ADMIN,)})
    async def update(self, request: Request, contest_id: FromPath[int]) -> Template | Redirect:
        if await queries.contest(contest_id) is None:
            raise NotFoundException(_("竞赛不存在"))
        typed, values, errors = await _read_form(request)
        if values is None:
            return await self._form(typed, errors, contest_id, status=400)
        await queries.update_contest(contest_id, values, current_user(request), client_ip(request))
        await enqueue(jobs.backfill_contest, contest_id)
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/contests/{contest_id}")

    @post("/{contest_id:int}/delete", opt={"roles": (ADMIN,)})
    async def delete(self, request: Request, contest_id: FromPath[int]) -> Redirect:
        if await queries.contest(contest_id) is None:
            raise NotFoundException(_("竞赛不存在"))
        await queries.delete_contest(contest_id, current_user(request), client_ip(request))
        flash(request, _("竞赛已删除"), "success")
        return Redirect(path="/contests")

    @get("/{contest_id:int}")
    async def standings(self, request: Request, contest_id: FromPath[int]) -> object:
        """The whole field, so a coordinator sees whom they compete with: names, ranks and
        scores are not secret. Their own units are highlighted and pinned; a unit's breakdown
        (明细) stays limited to their jurisdiction."""
        user = current_user(request)
        contest = await _readable_contest(user, contest_id)
        standings = await queries.standings_with_moves(contest)
        mine = await _own_codes(user, contest, standings)
        if wants_xlsx(request):
            return _standings_xlsx(contest, standings)
        rows = standings.rows
        q = request.query_params.get("q", "").strip()
        listed = [r for r in rows if q in r.name or r.code.startswith(q)] if q else rows
        p = pager(request, len(listed), PER_PAGE)
        n = max(1, min(50, int_or(request.query_params.get("n"), contest["top_n"], 1)))
        red, black = rules.red_black(rows, n)
        pinned = [r for r in rows if r.code in mine] if not user.scope.is_city else []
        return render(
            request,
            "contests/standings.html",
            "contests/_standing_rows.html",
            contest=contest,
            about=_describe(contest, await regions.names_of([contest["district_code"]])),
            standings=standings,
            rows=listed[p.offset : p.offset + p.per_page],
            red=red,
            black=black,
            n=n,
            q=q,
            pager=p,
            mine=mine,
            pinned=pinned[:PINNED_MAX],
            fact_text=fact_text,
            forms=forms,
            active_nav="contests",
        )

    @get("/{contest_id:int}/units/{code:str}/explain")
    async def explain(
        self, request: Request, contest_id: FromPath[int], code: FromPath[str]
    ) -> Template:
        user = current_user(request)
        contest = await _readable_contest(user, contest_id)
        standings = await _visible_standings(user, contest)
        row = next((r for r in standings.rows if r.code == code), None)
        if row is None:
            raise NotFoundException(_("该单位不在本竞赛中,或不在你的辖区"))
        return render(
            request,
            "contests/explain.html",
            "contests/_explain.html",
            contest=contest,
            row=row,
            fact_text=fact_text,
            forms=forms,
            active_nav="contests",
        )

    @get("/{contest_id:int}/trend")
    async def trend(
        self, request: Request, contest_id: FromPath[int], unit: FromQuery[str] = ""
    ) -> Template:
        user = current_user(request)
        contest = await _readable_contest(user, contest_id)
        standings = await queries.standings_with_moves(contest)  # ranks are not secret
        row = next((r for r in standings.rows if r.code == unit), None)
        if row is None:
            raise NotFoundException(_("该单位不在本竞赛中,或不在你的辖区"))
        points = await queries.trend(contest_id, unit)
        return render(
            request,
            "contests/_trend.html",
            "contests/_trend.html",
            contest=contest,
            row=row,
            points=[
                {"day": p.as_of.isoformat(), "rank": p.rank, "score": p.score, "cases": p.cases}
                for p in points
            ],
        )


def _standings_xlsx(contest: rules.ContestRow, standings: queries.Standings):
    metrics = [m["metric"] for m in contest["metrics"]]
    headers = [_("名次"), _("较上周"), _("单位"), _("代码"), _("得分")]
    for metric in metrics:
        label = forms.METRIC_LABELS[metric]
        headers += [str(label), _("%(m)s得分", m=label)]
    return xlsx_response(
        contest["name"],
        headers,
        (
            [r.rank, r.move, r.name, r.code, r.score]
            + [
                item
                for part in r.parts
                for item in (fact_text(part.metric, r.facts), round(part.points, 2))
            ]
            for r in standings.rows
        ),
    )


def _api_row(row: queries.Row) -> dict:
    return {
        "rank": row.rank,
        "code": row.code,
        "name": row.name,
        "score": row.score,
        "rank_change": row.move,
        "cases": row.facts["cases"],
        "parts": [
            {
                "metric": p.metric,
                "value": p.value,
                "points": p.points,
                "weight": p.weight,
                "contribution": round(p.contribution, 4),
            }
            for p in row.parts
        ],
    }


class ContestApiController(Controller):
    path = "/api/v1/contests"
    tags = ["contests"]
    opt = {"roles": READERS}

    @get("/")
    async def list_contests(self, request: Request, status: FromQuery[str | None] = None) -> dict:
        """Contests the caller may see (status: upcoming, running or finished), newest first."""
        user = current_user(request)
        rows = await queries.contests(user.scope, {"status": status or ""}, limit=None)
        return {
            "items": [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "level": r["level"],
                    "district_code": r["district_code"],
                    "start_on": r["start_on"].isoformat(),
                    "end_on": r["end_on"].isoformat(),
                    "status": r["status"],
                    "metrics": r["metrics"],
                }
                for r in rows
            ]
        }

    @get("/{contest_id:int}/standings")
    async def standings(self, request: Request, contest_id: FromPath[int]) -> dict:
        """A contest's standings as of today (or its last day): competition ranks (ties share a
        rank), each unit's score 0–100 explained metric by metric (value, points 0–100, weight,
        contribution; contributions add up to the score) and rank_change, the places gained
        since the last weekly snapshot (null when the unit was not ranked then). Units outside
        the caller's jurisdiction are left out; ranks are those of the whole contest."""
        user = current_user(request)
        contest = await _readable_contest(user, contest_id)
        standings = await _visible_standings(user, contest)
        return {
            "contest": {
                "id": contest["id"],
                "name": contest["name"],
                "level": contest["level"],
                "district_code": contest["district_code"],
                "start_on": contest["start_on"].isoformat(),
                "end_on": contest["end_on"].isoformat(),
                "normalisation": contest["normalisation"],
                "metrics": contest["metrics"],
            },
            "as_of": standings.as_of.isoformat() if standings.as_of else None,
            "items": [_api_row(r) for r in standings.rows],
        }


class LeadersController(Controller):
    """The leadership view and its wall screen; every part refreshes itself (htmx polling)."""

    path = "/leaders"
    include_in_schema = False
    opt = {"roles": (ADMIN, LEADER)}

    @get("/")
    async def page(self, request: Request) -> Template:
        return await self._page(request, wall=False)

    @get("/wall")
    async def wall(self, request: Request) -> Template:
        return await self._page(request, wall=True)

    async def _page(self, request: Request, wall: bool) -> Template:
        user = current_user(request)
        parts = {}
        for part in PARTS:
            parts.update(await _leaders_part(user, part, wall))
        return render(
            request,
            "contests/wall.html" if wall else "contests/leaders.html",
            **parts,
            updated=local(dt.datetime.now(dt.UTC)),
            active_nav="leaders",
        )

    @get("/part/{part:str}")
    async def part(self, request: Request, part: FromPath[str]) -> Template:
        """One self-refreshing part of the view (streaks, contests or feed)."""
        if part not in PARTS:
            raise NotFoundException()
        wall = request.query_params.get("wall") == "1"
        context = await _leaders_part(current_user(request), part, wall)
        return Template(
            template_name=f"contests/_leaders_{part}.html",
            context={**context, "wall": wall, "updated": local(dt.datetime.now(dt.UTC))},
        )


PARTS = ("streaks", "contests", "feed")


async def _leaders_part(user: CurrentUser, part: str, wall: bool) -> dict:
    """The data of one part; the wall screen shows a little less so it fits 1920×1080."""
    if part == "streaks":
        return {"boards": await queries.streak_boards(user.scope)}
    if part == "contests":
        return {"contests": await queries.contest_boards(user, 3 if wall else 5)}
    return {"feed": await queries.milestone_feed(user.scope, 8 if wall else 10)}
