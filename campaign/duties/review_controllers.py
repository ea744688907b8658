"""Accountability reviews (倒查): opened by the sweep after case writes or by a leader for a
serious case; the page gathers the 90 days before the case by itself; findings, corrective
actions with owners and deadlines, closure by a leader."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser
from campaign.cases import queries as cases
from campaign.cases.rules import case_in_scope
from campaign.duties import forms, queries, rules
from campaign.duties.controllers import EXPORT_LIMIT, READERS
from campaign.i18n import _
from campaign.parsing import form_text, form_values
from campaign.timeutil import today
from campaign.warnings import rules as warning_rules
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

LEADERS = (ADMIN, LEADER)
WORKERS = (ADMIN, LEADER, COORDINATOR)


async def readable_review(user: CurrentUser, review_id: int) -> queries.ReviewRow:
    row = await queries.review(review_id)
    if row is None:
        raise NotFoundException(_("倒查不存在"))
    if not case_in_scope(user.scope, row.place_row() | {"station_code": row.station_code}):
        raise deny()
    return row


def _export(rows: list[queries.ReviewRow]) -> Response:
    return xlsx_response(
        _("倒查"),
        [
            _("编号"),
            _("案件编号"),
            _("发案日期"),
            _("损失(元)"),
            _("诈骗类型"),
            _("镇街"),
            _("地点"),
            _("启动原因"),
            _("状态"),
            _("开启日期"),
            _("已历天数"),
            _("整改措施数"),
            _("结案人"),
        ],
        (
            [
                r.id,
                r.case_no,
                str(r.occurred_on),
                r.loss_fen / 100,
                r.fraud_type,
                r.town_name,
                r.place_name,
                r.trigger_label,
                r.status_label,
                str(r.opened_on),
                r.age_days,
                r.actions,
                r.closed_by_name,
            ]
            for r in rows
        ),
    )


class ReviewController(Controller):
    path = "/duties/reviews"
    include_in_schema = False
    opt = {"roles": READERS}

    @get("/")
    async def index(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, *queries.REVIEW_FILTERS)
        if wants_xlsx(request):
            return _export(await queries.reviews(user.scope, filters, limit=EXPORT_LIMIT))
        p = pager(request, await queries.review_count(user.scope, filters), per_page=30)
        return render(
            request,
            "duties/reviews.html",
            "duties/_review_rows.html",
            reviews=await queries.reviews(user.scope, filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            statuses=rules.REVIEW_STATUSES,
            threshold_fen=await queries.review_threshold_fen(),
            can_open=user.role in LEADERS,
            errors={},
            values={},
            active_nav="duties",
        )

    @post("/open", opt={"roles": LEADERS})
    async def open(self, request: Request) -> Template | Redirect:
        """A leader marks a case serious: its review opens whatever its loss."""
        user = current_user(request)
        values = form_values(await request.form(), ("case_no", "note", "organisation"))
        errors: dict[str, str] = {}
        case = await cases.case_by_no(values["case_no"]) if values["case_no"] else None
        if case is None:
            errors["case_no"] = _("找不到案件编号 %(no)s", no=values["case_no"] or "—")
        elif not case_in_scope(user.scope, case):
            errors["case_no"] = _("该案件不在你的辖区内")
        org = None
        if values["organisation"]:
            org = await queries.organisation_by_code(values["organisation"])
            if org is None:
                errors["organisation"] = _("找不到机构编码 %(c)s", c=values["organisation"])
        if not values["note"]:
            errors["note"] = _("请说明为何认定为严重案件")
        if errors or case is None:  # no case is an error
            return await self._list_with_errors(request, values, errors)
        review_id = await queries.open_review(
            case, "serious", values["note"], org.id if org else None, user, client_ip(request)
        )
        flash(request, _("已开启倒查"), "success")
        return Redirect(path=f"/duties/reviews/{review_id}")

    async def _list_with_errors(self, request: Request, values: dict, errors: dict) -> Template:
        user = current_user(request)
        p = pager(request, await queries.review_count(user.scope, {}), per_page=30)
        return Template(
            template_name="duties/reviews.html",
            context={
                "reviews": await queries.reviews(user.scope, {}, p.offset, p.per_page),
                "pager": p,
                "filters": {},
                "statuses": rules.REVIEW_STATUSES,
                "threshold_fen": await queries.review_threshold_fen(),
                "can_open": True,
                "errors": errors,
                "values": values,
                "active_nav": "duties",
            },
            status_code=400,
        )

    async def _detail(
        self, request: Request, row: queries.ReviewRow, errors: dict | None = None, status=200
    ) -> Template:
        user = current_user(request)
        form_values = getattr(request.state, "review_values", {})
        return Template(
            template_name="duties/review.html",
            context={
                "review": row,
                "case": await cases.case_by_id(row.case_id),
                "gathered": await queries.gather(row),
                "actions": await queries.actions_of(row.id),
                "errors": errors or {},
                "values": form_values,
                "can_work": user.role in WORKERS and row.status == rules.REVIEW_OPEN,
                "can_close": user.role in LEADERS and row.status == rules.REVIEW_OPEN,
                "today": today(),
                "warning_labels": {
                    **warning_rules.RISK_LEVELS,
                    **warning_rules.STATUSES,
                    **warning_rules.OUTCOMES,
                },
                "active_nav": "duties",
            },
            status_code=status,
        )

    @get("/{review_id:int}")
    async def detail(self, request: Request, review_id: FromPath[int]) -> Template:
        return await self._detail(request, await readable_review(current_user(request), review_id))

    async def _open_review(self, request: Request, review_id: int) -> queries.ReviewRow:
        row = await readable_review(current_user(request), review_id)
        if row.status != rules.REVIEW_OPEN:
            raise deny(_("该倒查已结案,不能再修改"))
        return row

    @post("/{review_id:int}/findings", opt={"roles": WORKERS})
    async def findings(self, request: Request, review_id: FromPath[int]) -> Template | Redirect:
        row = await self._open_review(request, review_id)
        text = form_text(await request.form(), "findings")
        if len(text) > rules.MAX_FINDINGS:
            request.state.review_values = {"findings": text}
            errors = {"findings": _("不超过 %(n)s 字", n=rules.MAX_FINDINGS)}
            return await self._detail(request, row, errors, 400)
        await queries.save_findings(row, text, current_user(request), client_ip(request))
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/duties/reviews/{review_id}")

    @post("/{review_id:int}/organisation", opt={"roles": WORKERS})
    async def organisation(self, request: Request, review_id: FromPath[int]) -> Template | Redirect:
        row = await self._open_review(request, review_id)
        code = form_text(await request.form(), "organisation")
        org = await queries.organisation_by_code(code) if code else None
        if code and org is None:
            request.state.review_values = {"organisation": code}
            errors = {"organisation": _("找不到机构编码 %(c)s", c=code)}
            return await self._detail(request, row, errors, 400)
        await queries.set_review_organisation(
            row, org.id if org else None, current_user(request), client_ip(request)
        )
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/duties/reviews/{review_id}")

    @post("/{review_id:int}/actions", opt={"roles": WORKERS})
    async def add_action(self, request: Request, review_id: FromPath[int]) -> Template | Redirect:
        row = await self._open_review(request, review_id)
        values = form_values(await request.form(), ("action", "owner", "due_on"))
        record, errors = rules.check_action(values, today())
        if errors:
            request.state.review_values = values
            return await self._detail(request, row, errors, 400)
        await queries.add_action(row, record, current_user(request), client_ip(request))
        flash(request, _("已添加整改措施"), "success")
        return Redirect(path=f"/duties/reviews/{review_id}")

    @post("/{review_id:int}/close", opt={"roles": LEADERS})
    async def close(self, request: Request, review_id: FromPath[int]) -> Template | Redirect:
        row = await self._open_review(request, review_id)
        findings, note = forms.closing_form(await request.form(), row.findings)
        errors = rules.closing_errors(findings)
        if errors:
            request.state.review_values = {"closing_note": note}
            return await self._detail(request, row, errors, 400)
        await queries.close_review(row, findings, note, current_user(request), client_ip(request))
        flash(request, _("倒查已结案"), "success")
        return Redirect(path=f"/duties/reviews/{review_id}")
