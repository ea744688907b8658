"""The 平安考核 safety assessment: the scheme (weights, baseline, red lines), computing a quarter,
the ranking read from the stored run, and each unit's assessment sheet (page, print, XLSX)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN, LEADER
from campaign.db import existing_row
from campaign.duties import forms, queries, rules
from campaign.duties.controllers import EXPORT_LIMIT, READERS
from campaign.i18n import _
from campaign.regions import queries as regions
from campaign.timeutil import today
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

RESULT_FILTERS = ("district", "verdict", "q")
API_LIMIT, API_MAX_LIMIT = 100, 3000


def _period(request: Request) -> tuple[str, int, int]:
    level = request.query_params.get("level", "town")
    level = level if level in rules.LEVELS else "town"
    year, quarter = rules.parse_quarter(request.query_params.get("quarter", ""), today())
    return level, year, quarter


def _quarters(count: int = 6) -> list[tuple[str, str]]:
    year, quarter = rules.quarter_of(today())
    found = []
    for _i in range(count):
        found.append((f"{year}Q{quarter}", _("%(y)s年第%(q)s季度", y=year, q=quarter)))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


def _export_ranking(rows: list[queries.ResultRow]) -> Response:
    return xlsx_response(
        _("平安考核排名"),
        [
            _("名次"),
            _("代码"),
            _("单位"),
            _("总分"),
            *[str(label) for label in rules.INDICATORS.values()],
            _("达标"),
            _("一票否决"),
        ],
        (
            [
                r.rank,
                r.code,
                r.name,
                r.score,
                *[round(r.contributions[key], 2) for key in rules.INDICATORS],
                _("达标") if r.baseline_ok else _("未达标"),
                _("否决") if r.vetoed else "",
            ]
            for r in rows
        ),
    )


def sheet_rows(result: queries.ResultRow) -> list[list]:
    """The assessment sheet as rows: ranked indicators, baseline, red lines, the total."""
    rows: list[list] = []
    for item in result.detail["indicators"]:
        rows.append(
            [
                str(rules.INDICATORS[item["key"]]),
                "—" if item["value"] is None else round(item["value"], 2),
                item["points"],
                item["weight"],
                round(item["contribution"], 2),
            ]
        )
    rows.append([_("指标得分合计"), "", "", 100, result.detail["raw_score"]])
    for group, label in (("baseline", _("达标项")), ("red_lines", _("一票否决项"))):
        for item in result.detail[group]:
            rows.append(
                [
                    f"{label}:{rules.VERDICT_LABELS[item['key']]} {item['required']:g}",
                    item["found"],
                    _("通过") if item["ok"] else _("未通过"),
                    "",
                    "",
                ]
            )
    rows.append([_("考核总分"), "", "", "", result.score])
    rows.append([_("名次"), "", "", "", result.rank])
    return rows


class AssessmentController(Controller):
    path = "/duties/assessment"
    include_in_schema = False
    opt = {"roles": READERS}

    @get("/")
    async def ranking(self, request: Request) -> object:
        level, year, quarter = _period(request)
        filters = list_filters(request, *RESULT_FILTERS)
        user = current_user(request)
        async with queries.snapshot():
            run = await queries.latest_run(level, year, quarter)
            if run and wants_xlsx(request):
                rows = await queries.results(run["id"], filters, limit=EXPORT_LIMIT)
                return _export_ranking(rows)
            total = await queries.result_count(run["id"], filters) if run else 0
            p = pager(request, total, per_page=50)
            results = await queries.results(run["id"], filters, p.offset, p.per_page) if run else []
            district_choice = await regions.chosen("district", filters.get("district"))
        return render(
            request,
            "duties/assessment.html",
            "duties/_result_rows.html",
            run=run,
            results=results,
            pager=p,
            filters=filters,
            level=level,
            levels=rules.LEVELS,
            quarter=f"{year}Q{quarter}",
            quarters=_quarters(),
            indicators=rules.INDICATORS,
            district_choice=district_choice,
            can_compute=user.is_admin,
            active_nav="duties",
        )

    @post("/compute", opt={"roles": (ADMIN,)})
    async def compute(self, request: Request) -> Redirect:
        level, year, quarter = forms.compute_form(await request.form(), today())
        run_id = await queries.compute_assessment(level, year, quarter, current_user(request))
        run = await existing_row(queries.run(run_id))
        flash(
            request,
            _("已计算 %(n)s 个单位,用时 %(s)s 秒", n=run["units"], s=run["seconds"]),
            "success",
        )
        return Redirect(path=f"/duties/assessment?level={level}&quarter={year}Q{quarter}")

    @get("/scheme", opt={"roles": (ADMIN,)})
    async def scheme(self) -> Template:
        current = await queries.scheme()
        values = {f"w_{k}": str(v) for k, v in current.weights.items()}
        values |= {f"b_{k}": str(v) for k, v in current.baseline.items()}
        values["r_major_loss_yuan"] = str(current.red_lines["major_loss_yuan"])
        values["r_red_line_tasks"] = "1" if current.red_lines["red_line_tasks"] else ""
        return self._scheme_page(values, {})

    def _scheme_page(self, values: dict, errors: dict, status: int = 200) -> Template:
        return Template(
            template_name="duties/scheme.html",
            context={
                "values": values,
                "errors": errors,
                "indicators": rules.INDICATORS,
                "active_nav": "duties",
            },
            status_code=status,
        )

    @post("/scheme", opt={"roles": (ADMIN,)})
    async def save_scheme(self, request: Request) -> Template | Redirect:
        values = forms.scheme_values(await request.form())
        parsed, errors = forms.check_scheme(values)
        if errors:
            return self._scheme_page(values, errors, status=400)
        await queries.save_scheme(
            queries.Scheme(parsed["weights"], parsed["baseline"], parsed["red_lines"]),
            current_user(request),
            client_ip(request),
        )
        flash(request, _("考核方案已保存;重新计算后生效"), "success")
        return Redirect(path="/duties/assessment")

    @get("/runs/{run_id:int}/{code:str}")
    async def sheet(self, request: Request, run_id: FromPath[int], code: FromPath[str]) -> object:
        run = await queries.run(run_id)
        result = await queries.result_for(run_id, code) if run else None
        if run is None or result is None:
            raise NotFoundException(_("没有这个单位的考核结果"))
        user = current_user(request)
        if not rules.sees_unit(user.scope, run["level"], code, result.district_code):
            raise deny()
        rows = sheet_rows(result)
        if wants_xlsx(request):
            return xlsx_response(
                _(
                    "%(n)s %(y)s年第%(q)s季度平安考核",
                    n=result.name,
                    y=run["year"],
                    q=run["quarter"],
                ),
                [_("项目"), _("数值"), _("得分(0–100)"), _("权重"), _("折算分")],
                rows,
            )
        return render(
            request,
            "duties/sheet.html",
            run=run,
            result=result,
            rows=rows,
            indicators=rules.INDICATORS,
            verdict_labels=rules.VERDICT_LABELS,
            printing=request.query_params.get("print") == "1",
            active_nav="duties",
        )


@dataclass(frozen=True, slots=True)
class AssessmentItem:
    rank: int
    code: str
    name: str
    district_code: str
    score: float
    vetoed: bool
    baseline_ok: bool
    contributions: dict[str, float]


@dataclass(frozen=True, slots=True)
class AssessmentPage:
    level: str
    quarter: str
    computed_at: str | None
    as_of: str | None
    weights: dict[str, int]
    total: int
    items: list[AssessmentItem]


class AssessmentApiController(Controller):
    path = "/api/v1"
    tags = ["duties"]

    @get("/assessment", opt={"roles": (ADMIN, LEADER)})
    async def ranking(
        self,
        level: FromQuery[str] = "town",
        quarter: FromQuery[str] = "",
        limit: FromQuery[int] = API_LIMIT,
        offset: FromQuery[int] = 0,
    ) -> AssessmentPage:
        """The stored 平安考核 ranking of a level (`town` or `station`) for a quarter (`2026Q4`,
        default the current one): rank, score (0 when vetoed), the 达标 verdict and each ranked
        indicator's contribution. Empty items until an administrator has computed the quarter."""
        if level not in rules.LEVELS or offset < 0 or limit < 1:
            raise ValidationException(
                _("level 须为 town 或 station,limit 须为正数,offset 不能为负")
            )
        year, number = rules.parse_quarter(quarter, today())
        run = await queries.latest_run(level, year, number)
        rows = (
            await queries.results(run["id"], {}, offset, min(limit, API_MAX_LIMIT)) if run else []
        )
        return AssessmentPage(
            level=level,
            quarter=f"{year}Q{number}",
            computed_at=run["computed_at"].isoformat() if run else None,
            as_of=run["as_of"].isoformat() if run else None,
            weights=run["scheme"]["weights"] if run else {},
            total=run["units"] if run else 0,
            items=[
                AssessmentItem(
                    r.rank,
                    r.code,
                    r.name,
                    r.district_code,
                    r.score,
                    r.vetoed,
                    r.baseline_ok,
                    r.contributions,
                )
                for r in rows
            ],
        )
