"""Task lists: leaders turn a measure into tasks for units, units submit evidence, reviewers
accept it or return it with a reason; overdue tasks show up the chain."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser
from campaign.duties import forms, queries, rules
from campaign.duties.controllers import EXPORT_LIMIT, READERS
from campaign.i18n import _
from campaign.materials.serving import send_file
from campaign.materials.storage import get_storage
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

ASSIGNERS = (ADMIN, LEADER)
SUBMITTERS = (ADMIN, COORDINATOR)
REVIEWERS = (ADMIN, LEADER)
MAX_EVIDENCE_FORM = rules.MAX_DOCUMENT_BYTES + 1024 * 1024


async def readable_task(user: CurrentUser, task_id: int) -> queries.TaskRow:
    row = await queries.task(task_id)
    if row is None:
        raise NotFoundException(_("任务不存在"))
    if not rules.unit_covered(user.scope, rules.place_of_unit(row.place_row())):
        raise deny()
    return row


def _export(rows: list[queries.TaskRow]) -> Response:
    return xlsx_response(
        _("任务清单"),
        [
            _("编号"),
            _("措施"),
            _("任务"),
            _("单位类型"),
            _("责任单位"),
            _("期限"),
            _("材料"),
            _("状态"),
            _("逾期"),
            _("审核人"),
            _("提交日期"),
            _("通过日期"),
        ],
        (
            [
                t.id,
                f"{t.measure_number}. {t.measure_title}",
                t.title,
                t.unit_kind_label,
                t.unit_name,
                str(t.due_on),
                t.evidence_label,
                t.status_label,
                _("是") if t.overdue else "",
                t.reviewer_name,
                str(t.submitted_on or ""),
                str(t.accepted_on or ""),
            ]
            for t in rows
        ),
    )


class TaskController(Controller):
    path = "/duties"
    include_in_schema = False
    opt = {"roles": READERS}

    @get("/")
    async def home(self) -> Redirect:
        return Redirect(path="/duties/tasks")

    @get("/tasks")
    async def index(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, *queries.TASK_FILTERS)
        if wants_xlsx(request):
            return _export(await queries.tasks(user.scope, filters, limit=EXPORT_LIMIT))
        p = pager(request, await queries.task_count(user.scope, filters), per_page=30)
        rows = await queries.tasks(user.scope, filters, p.offset, p.per_page)
        return render(
            request,
            "duties/tasks.html",
            "duties/_task_rows.html",
            tasks=rows,
            pager=p,
            filters=filters,
            statuses=rules.TASK_STATUSES,
            measures=await queries.measures(),
            overdue_units=await queries.overdue_by_unit(user.scope, today())
            if user.role in (ADMIN, LEADER)
            else [],
            reminders=await queries.reminders_for([t.id for t in rows], today()),
            can_assign=user.role in ASSIGNERS,
            active_nav="duties",
        )

    async def _form(
        self, request: Request, values: dict, chosen: list[str], errors: dict, status: int = 200
    ) -> Template:
        return Template(
            template_name="duties/task_form.html",
            context={
                "values": values,
                "chosen": chosen,
                "errors": errors,
                "measures": await queries.measures(active_only=True),
                "chosen_units": await queries.chosen_units(chosen),
                "reviewers": await queries.reviewers(),
                "evidence_kinds": rules.EVIDENCE_KINDS,
                "active_nav": "duties",
            },
            status_code=status,
        )

    @get("/tasks/pick-units", opt={"roles": ASSIGNERS})
    async def pick_units(self, request: Request, q: FromQuery[str] = "") -> Template:
        """The responsible units matching what was typed, as a picker's datalist options."""
        units = await queries.pick_assignable(current_user(request).scope, q)
        return Template(template_name="_pick_options.html", context={"units": units})

    @get("/tasks/new", opt={"roles": ASSIGNERS})
    async def new(self, request: Request) -> Template:
        user = current_user(request)
        values = {
            "measure_id": request.query_params.get("measure", ""),
            "due_on": (today() + dt.timedelta(days=14)).isoformat(),
            "evidence_kind": rules.DOCUMENT,
            "reviewer_id": str(user.id),
        }
        return await self._form(request, values, [], {})

    @post("/tasks/new", opt={"roles": ASSIGNERS})
    async def create(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        values, chosen = forms.task_form(await request.form())
        record, errors = forms.check_task(values, chosen, today())
        measure = await queries.measure(record["measure_id"]) if record["measure_id"] else None
        if "measure_id" not in errors and measure is None:
            errors["measure_id"] = _("请选择所属措施")
        found = await queries.units_by_key(chosen)
        unknown = [k for k in chosen if k not in found]
        outside = [
            u.name
            for u in found.values()
            if not rules.may_assign(user.role, user.scope, rules.place_of_unit(u.place_row()))
        ]
        if unknown:
            errors["units"] = _("找不到责任单位:%(u)s", u="、".join(unknown))
        elif outside:
            errors["units"] = _(
                "%(u)s 不在你的辖区内,只能向本辖区的单位下达任务", u="、".join(outside)
            )
        reviewer = dict(await queries.reviewers()).get(record["reviewer_id"])
        if "reviewer_id" not in errors and reviewer is None:
            errors["reviewer_id"] = _("审核人须为在职的领导或管理员")
        elif reviewer is not None and not errors:
            scope = await queries.reviewer_scope(record["reviewer_id"])
            beyond = [
                u.name
                for u in found.values()
                if scope is None
                or not rules.unit_covered(scope, rules.place_of_unit(u.place_row()))
            ]
            if beyond:
                errors["reviewer_id"] = _(
                    "审核人的辖区不包括 %(u)s,请选择能看到这些单位的领导", u="、".join(beyond)
                )
        if errors or measure is None or reviewer is None:  # both are None only with errors
            return await self._form(request, values, chosen, errors, status=400)
        ids = await queries.assign_tasks(
            measure,
            [found[k] for k in chosen],
            record,
            (record["reviewer_id"], reviewer),
            user,
            client_ip(request),
        )
        flash(request, _("已向 %(n)s 个单位下达任务", n=len(ids)), "success")
        return Redirect(path=f"/duties/tasks/{ids[0]}" if len(ids) == 1 else "/duties/tasks")

    # -- One task ------------------------------------------------------------------------------

    async def _detail(
        self, request: Request, task_row: queries.TaskRow, errors: dict | None = None, status=200
    ) -> Template:
        user = current_user(request)
        place = rules.place_of_unit(task_row.place_row())
        return Template(
            template_name="duties/task.html",
            context={
                "task": task_row,
                "evidence": await queries.evidence_of(task_row.id),
                "errors": errors or {},
                "values": {},
                "can_submit": rules.may_submit(task_row.status)
                and rules.answers_for(user.role, user.scope, place),
                "can_review": rules.may_review(task_row.status)
                and user.role in REVIEWERS
                and (user.is_admin or user.id == task_row.reviewer_id),
                "max_mb": (
                    rules.MAX_PHOTO_BYTES
                    if task_row.evidence_kind == rules.PHOTO
                    else rules.MAX_DOCUMENT_BYTES
                )
                // 1024
                // 1024,
                "accept": ",".join(
                    "." + ext
                    for ext in (
                        rules.PHOTO_TYPES
                        if task_row.evidence_kind == rules.PHOTO
                        else rules.DOCUMENT_TYPES
                    )
                ),
                "active_nav": "duties",
            },
            status_code=status,
        )

    @get("/tasks/{task_id:int}")
    async def detail(self, request: Request, task_id: FromPath[int]) -> Template:
        return await self._detail(request, await readable_task(current_user(request), task_id))

    @post(
        "/tasks/{task_id:int}/evidence",
        opt={"roles": SUBMITTERS},
        request_max_body_size=MAX_EVIDENCE_FORM,
    )
    async def submit(self, request: Request, task_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        task_row = await readable_task(user, task_id)
        if not rules.answers_for(user.role, user.scope, rules.place_of_unit(task_row.place_row())):
            raise deny(_("只有责任单位可以提交任务材料"))
        if not rules.may_submit(task_row.status):
            return await self._detail(
                request, task_row, {"file": _("此任务当前不能提交材料(已提交待审核或已通过)")}, 409
            )
        values, upload, errors = forms.evidence_form(await request.form(), task_row.evidence_kind)
        if task_row.evidence_kind != rules.FIGURE:
            data = await upload.read() if upload is not None else b""
            name = upload.filename if upload is not None else ""
            content_type, problem = rules.check_evidence_file(
                task_row.evidence_kind, name or "", data
            )
            if problem:
                errors["file"] = problem
            else:
                key = f"duties/{today():%Y/%m}/{uuid.uuid4().hex}.{name.rsplit('.', 1)[-1].lower()}"
                await get_storage().put_bytes(key, data)
                values |= {
                    "storage_key": key,
                    "original_name": name[-120:],
                    "content_type": content_type,
                    "size": len(data),
                }
        if errors:
            return await self._detail(request, task_row, errors, 400)
        try:
            await queries.submit_evidence(task_row, values, user, client_ip(request))
        except ValueError as problem:
            return await self._detail(request, task_row, {"file": str(problem)}, 409)
        flash(request, _("材料已提交,等待审核"), "success")
        return Redirect(path=f"/duties/tasks/{task_id}")

    @post("/tasks/{task_id:int}/review", opt={"roles": REVIEWERS})
    async def review(self, request: Request, task_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        task_row = await readable_task(user, task_id)
        if not (user.is_admin or user.id == task_row.reviewer_id):
            raise deny(_("只有指定的审核人可以审核此任务"))
        accept, reason = forms.task_decision(await request.form())
        if not accept and not reason:
            return await self._detail(request, task_row, {"reason": _("退回时请写明原因")}, 400)
        try:
            await queries.review_task(
                task_row, accept, reason[: rules.MAX_REASON], user, client_ip(request)
            )
        except ValueError as problem:
            return await self._detail(request, task_row, {"reason": str(problem)}, 409)
        flash(request, _("已通过") if accept else _("已退回"), "success")
        return Redirect(path=f"/duties/tasks/{task_id}")

    @get("/evidence/{evidence_id:int}")
    async def evidence_file(self, request: Request, evidence_id: FromPath[int]) -> Response:
        item = await queries.evidence_item(evidence_id)
        if item is None or not item["storage_key"]:
            raise NotFoundException(_("材料不存在"))
        await readable_task(current_user(request), item["task_id"])
        return await send_file(
            request,
            item["storage_key"],
            item["content_type"],
            item["original_name"],
            item["submitted_at"],
            attachment=item["kind"] != rules.PHOTO,
        )
