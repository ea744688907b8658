"""The case list, the form to add or correct one case, and GET /api/v1/cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser
from campaign.cases import forms, queries, rules
from campaign.i18n import _
from campaign.parsing import is_ascii_digits, parse_date
from campaign.regions import queries as regions
from campaign.timeutil import local
from campaign.web import (
    COUNT_CAP,
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
WRITERS = (ADMIN, COORDINATOR)
FILTER_KEYS = ("q", "district", "town", "fraud_type", "group", "from", "to")
EXPORT_MAX = 100_000
API_LIMIT, API_MAX_LIMIT = 100, 1000
PLACE_MATCHES = 20


def _date(raw: str | None) -> dt.date | None:
    return parse_date(raw)


def _list_filters(filters: dict[str, str]) -> dict:
    """The typed filters for queries: dates parsed, anything unreadable dropped."""
    return {**filters, "from": _date(filters["from"]), "to": _date(filters["to"])}


async def _readable_case(user: CurrentUser, case_id: int) -> queries.CaseRow:
    row = await queries.case_by_id(case_id)
    if row is None:
        raise NotFoundException(_("案件不存在或已删除"))
    if not rules.case_in_scope(user.scope, row):
        raise deny()
    return row


def _form_values(case: queries.CaseRow) -> dict[str, str]:
    """A stored case as the form shows it."""
    moment = local(case["occurred_at"]) if case["occurred_at"] else None
    return {
        "case_no": case["case_no"],
        "occurred_at": (
            moment.strftime("%Y-%m-%dT%H:%M")
            if moment
            else f"{case['occurred_on'].isoformat()}T00:00"
        ),
        "region_code": case["village_code"] or case["town_code"],
        "station_code": case["station_code"] or "",
        "fraud_type": case["fraud_type"],
        "loss_yuan": f"{case['loss_fen'] / 100:.2f}",
        "victim_occupation": case["victim_occupation"] or "",
        "victim_age": "" if case["victim_age"] is None else str(case["victim_age"]),
    }


def _stored(record: rules.CaseRecord) -> dict:
    return dict(zip(rules.CASE_FIELDS, record.values(), strict=True))


def _scope_error(user: CurrentUser, after: dict, message: str) -> dict[str, str]:
    """A place or station outside the jurisdiction is a field error on the same form (the
    person keeps what they typed), named on the field that put the case out of reach."""
    station = after.get("station_code")
    if station and user.scope.kind == "station" and station != user.scope.code:
        return {"station_code": message}
    return {"region_code": message}


class CaseController(Controller):
    path = "/cases"
    opt = {"roles": READERS}
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, *FILTER_KEYS)
        typed = _list_filters(filters)
        if wants_xlsx(request):
            rows = await queries.cases(user.scope, typed, limit=EXPORT_MAX)
            return xlsx_response(
                _("案件列表"),
                [
                    _("案件编号"),
                    _("发案日期"),
                    _("发案时间"),
                    _("区县"),
                    _("镇街"),
                    _("村社"),
                    _("派出所"),
                    _("诈骗类型"),
                    _("损失金额(元)"),
                    _("受害人职业"),
                    _("职业分组"),
                    _("受害人年龄"),
                ],
                (
                    [
                        r["case_no"],
                        r["occurred_on"].isoformat(),
                        local(r["occurred_at"]).strftime("%H:%M") if r["occurred_at"] else "",
                        r["district_name"],
                        r["town_name"],
                        r["village_name"] or "",
                        r["station_name"] or "",
                        r["fraud_type"],
                        r["loss_fen"] / 100,
                        r["victim_occupation"] or "",
                        r["occupation_group"],
                        r["victim_age"],
                    ]
                    for r in rows
                ),
            )
        if filters["town"] and not filters["district"] and user.scope.is_city:
            place = await regions.place_of(filters["town"])  # a town asked for alone (a link)
            if place and place.level == "town":
                filters["district"] = typed["district"] = place.district_code
        district = filters["district"] or None
        # the city's readers are offered towns once a district is chosen (1,400 at province
        # scale were most of the page's time), the others their scope's own
        towns = (
            await queries.towns_in(user.scope, district)
            if district or not user.scope.is_city
            else []
        )
        if filters["town"] not in {t["code"] for t in towns}:
            filters["town"] = typed["town"] = ""
        total = await queries.case_count(user.scope, typed, cap=COUNT_CAP)
        p = pager(request, total, cap=COUNT_CAP)
        return render(
            request,
            "cases/index.html",
            "cases/_rows.html",
            cases=await queries.cases(user.scope, typed, p.offset, p.per_page),
            pager=p,
            filters=filters,
            district_choice=await regions.chosen("district", filters["district"]),
            towns=towns,
            fraud_types=await queries.fraud_type_names(),
            groups=await queries.occupation_group_names(),
            can_add=user.role in WRITERS,
            active_nav="cases",
        )

    @get("/places")
    async def places(self, request: Request) -> Template:
        """Villages and towns in the person's jurisdiction matching a name part or code prefix,
        as <option>s for the form's datalist."""
        user = current_user(request)
        q = request.query_params.get("region_code", "").strip()
        rows = []
        if q:
            found = await regions.regions(user.scope, {"q": q}, limit=PLACE_MATCHES + 10)
            rows = await regions.with_paths([r for r in found if r["level"] != "district"])
        return Template(
            template_name="cases/_places.html", context={"places": rows[:PLACE_MATCHES]}
        )

    async def _form(
        self,
        request: Request,
        values: dict,
        errors: dict | None = None,
        case: queries.CaseRow | None = None,
        status: int = 200,
    ) -> Template:
        user = current_user(request)
        return Template(
            template_name="cases/form.html",
            context={
                "values": values,
                "errors": errors or {},
                "case": case,
                "can_edit": user.role in WRITERS,
                "stations": await regions.stations(user.scope, {}, limit=None),
                "fraud_types": await queries.fraud_type_names(active_only=True),
                "active_nav": "cases",
            },
            status_code=status,
        )

    @get("/new", opt={"roles": WRITERS})
    async def new(self, request: Request) -> Template:
        return await self._form(request, {key: "" for key in forms.FORM_KEYS})

    @get("/{case_id:int}")
    async def detail(self, request: Request, case_id: FromPath[int]) -> Template:
        case = await _readable_case(current_user(request), case_id)
        return await self._form(request, _form_values(case), case=case)

    async def _checked(
        self, request: Request, case: queries.CaseRow | None
    ) -> tuple[dict, rules.CaseRecord | None, dict]:
        """The form's values, the validated record (None on errors) and the errors by field."""
        values = forms.case_form(await request.form())
        place_problem = None
        if values["region_code"] and not is_ascii_digits(values["region_code"], 12):
            values["region_code"], place_problem = await self._place_named(
                request, values["region_code"]
            )
        reference = await queries.reference([values["region_code"]])
        records, row_errors = rules.validate_cases(
            [(1, tuple(values.values()))], tuple(values), reference
        )
        by_label = {column.label: column.key for column in rules.CASE_COLUMNS}
        errors: dict[str, str] = {}
        if place_problem:
            errors["region_code"] = place_problem
        for error in row_errors:
            errors.setdefault(by_label[error.column], error.reason)
        if values["case_no"] and await queries.case_no_taken(
            values["case_no"], case["id"] if case else None
        ):
            errors.setdefault("case_no", _("案件编号 %(no)s 已存在", no=values["case_no"]))
        return values, (records[0] if records and not errors else None), errors

    async def _place_named(self, request: Request, name: str) -> tuple[str, str | None]:
        """A place typed by name rather than picked from the list: its code when exactly one
        village or town in the person's jurisdiction has that name."""
        found = await regions.regions(current_user(request).scope, {"q": name}, limit=50)
        exact = [r for r in found if r["level"] != "district" and r["name"] == name]
        if len(exact) == 1:
            return exact[0]["code"], None
        return name, (
            _("有 %(n)s 个地点叫“%(name)s”,请从列表中选择", n=len(exact), name=name)
            if exact
            else _(
                "找不到“%(name)s”:请输入村社名称的一部分后从列表中选择,或填写区划代码", name=name
            )
        )

    @post("/new", opt={"roles": WRITERS})
    async def create(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        values, record, errors = await self._checked(request, None)
        if record is None:
            return await self._form(request, values, errors, status=400)
        after = _stored(record)
        if not rules.case_in_scope(user.scope, after):
            problem = _scope_error(user, after, _("只能登记本辖区内的案件"))
            return await self._form(request, values, problem, status=403)
        case_id = await queries.create_case(after, user, client_ip(request))
        flash(request, _("案件 %(no)s 已登记", no=record.case_no), "success")
        return Redirect(path=f"/cases/{case_id}")

    @post("/{case_id:int}", opt={"roles": WRITERS})
    async def update(self, request: Request, case_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        case = await _readable_case(user, case_id)
        values, record, errors = await self._checked(request, case)
        if record is None:
            return await self._form(request, values, errors, case=case, status=400)
        after = _stored(record)
        if not rules.case_in_scope(user.scope, after):
            problem = _scope_error(user, after, _("不能把案件改到本辖区以外"))
            return await self._form(request, values, problem, case=case, status=403)
        changes = {k: v for k, v in after.items() if case[k] != v}
        if not changes:
            flash(request, _("没有需要保存的修改"), "info")
            return Redirect(path=f"/cases/{case_id}")
        await queries.correct_case(case, changes, user, client_ip(request))
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/cases/{case_id}")

    @post("/{case_id:int}/delete", opt={"roles": WRITERS})
    async def delete(self, request: Request, case_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        case = await _readable_case(user, case_id)
        if not forms.confirms_delete(await request.form(), case["case_no"]):
            return await self._form(
                request,
                _form_values(case),
                {"confirm": _("请输入案件编号 %(no)s 以确认删除", no=case["case_no"])},
                case=case,
                status=400,
            )
        await queries.remove_case(case, user, client_ip(request))
        flash(request, _("案件 %(no)s 已删除", no=case["case_no"]), "success")
        return Redirect(path="/cases")


@dataclass
class CaseItem:
    case_no: str
    occurred_on: dt.date
    occurred_at: dt.datetime | None
    district_code: str
    town_code: str
    village_code: str | None
    station_code: str | None
    fraud_type: str
    loss_fen: int
    victim_occupation: str | None
    occupation_group: str
    victim_age: int | None


@dataclass
class CasePage:
    total: int
    limit: int
    offset: int
    items: list[CaseItem]


class CaseApiController(Controller):
    path = "/api/v1"
    tags = ["cases"]

    @get("/cases", opt={"roles": READERS})
    async def cases(
        self,
        request: Request,
        from_: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        to: FromQuery[dt.date | None] = None,
        district: FromQuery[str | None] = None,
        town: FromQuery[str | None] = None,
        fraud_type: FromQuery[str | None] = None,
        limit: FromQuery[int] = API_LIMIT,
        offset: FromQuery[int] = 0,
    ) -> CasePage:
        """Cases in the caller's jurisdiction, newest first.

        `from` and `to` (YYYY-MM-DD, inclusive) bound the day of the case, `district` and `town`
        are division codes, `fraud_type` a canonical type name; `limit` defaults to 100 and is
        capped at 1,000. Losses are in fen; no victim's name is ever stored."""
        if offset < 0 or limit < 1:
            raise ValidationException(_("limit 须为正数,offset 不能为负"))
        limit = min(limit, API_MAX_LIMIT)
        user = current_user(request)
        filters = {
            "from": from_,
            "to": to,
            "district": district or "",
            "town": town or "",
            "fraud_type": fraud_type or "",
        }
        rows = await queries.cases(user.scope, filters, offset, limit)
        return CasePage(
            total=await queries.case_count(user.scope, filters),
            limit=limit,
            offset=offset,
            items=[CaseItem(**{f: r[f] for f in CaseItem.__dataclass_fields__}) for r in rows],
        )
