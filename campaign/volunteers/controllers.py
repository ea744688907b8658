"""Staff pages of the volunteers module: applying to be a propagandist and the personal QR code
and card, approvals, the volunteer list, hand-outs of rewards at the station, the point rules,
quiz bank, rewards and teams, growth figures and the event check-in code."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER
from campaign.i18n import _
from campaign.parsing import form_flag
from campaign.regions import queries as regions
from campaign.timeutil import local, today
from campaign.volunteers import cards, forms, queries, rules
from campaign.web import (
    ALL,
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
STATION = (ADMIN, COORDINATOR)
EXPORT_LIMIT = 100_000


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def join_url(request: Request, p: queries.PropagandistRow) -> str:
    return f"{_base(request)}/v/j/{rules.recruit_token(p.id, p.area, queries.secret())}"


def checkin_url(request: Request, event_id: int) -> str:
    return f"{_base(request)}/v/checkin/{event_id}?s={rules.checkin_signature(event_id, queries.secret())}"


async def _approved_self(request: Request) -> queries.PropagandistRow:
    p = await queries.propagandist_of_user(current_user(request).id)
    if p is None or p.status != rules.APPROVED:
        raise NotFoundException(_("你还不是已通过审批的宣传员"))
    return p


async def _area_label(p: queries.PropagandistRow) -> str:
    names = await queries.place_names(p.area)
    shown = [names.get(c, c) for c in p.area[:2]]
    more = len(p.area) - len(shown)
    return "、".join(shown) + (_(" 等 %(n)s 处", n=len(p.area)) if more > 0 else "")


def _png(data: bytes, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "private, max-age=300"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(content=data, media_type="image/png", headers=headers)


class VolunteerStaffController(Controller):
    path = "/volunteers"
    include_in_schema = False
    opt = {"roles": ALL}

    # -- My propagandist status, applying, my code --------------------------------------------------

    @get("/")
    async def index(self, request: Request) -> Template:
        user = current_user(request)
        async with queries.snapshot():
            mine = await queries.propagandist_of_user(user.id)
            choices = await queries.area_choices(user.scope)
            totals = await queries.totals() if user.role in READERS else None
        return Template(
            template_name="volunteers/index.html",
            context={
                "mine": mine,
                "join_url": join_url(request, mine)
                if mine and mine.status == rules.APPROVED
                else "",
                "choices": choices,
                "kinds": rules.KINDS,
                "values": {
                    "kind": mine.kind if mine else rules.KINDS[0],
                    "area": list(mine.area) if mine else [],
                },
                "errors": {},
                "totals": totals,
                "statuses": rules.STATUSES,
                "active_nav": "volunteers",
                "can_manage": user.role in READERS,
            },
        )

    @post("/apply")
    async def apply(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        kind, codes = forms.application_form(await request.form())
        choices = await queries.area_choices(user.scope)
        area, errors = forms.check_application(kind, codes, [t.code for t in choices])
        existing = await queries.propagandist_of_user(user.id)
        if existing and existing.status != rules.APPLIED:
            errors["area"] = _("已审批的宣传范围须由审批人调整")
        if errors:
            return Template(
                template_name="volunteers/index.html",
                context={
                    "mine": existing,
                    "join_url": "",
                    "choices": choices,
                    "kinds": rules.KINDS,
                    "values": {"kind": kind, "area": codes},
                    "errors": errors,
                    "totals": None,
                    "statuses": rules.STATUSES,
                    "active_nav": "volunteers",
                    "can_manage": user.role in READERS,
                },
                status_code=400,
            )
        await queries.apply(user, kind, area, client_ip(request))
        flash(request, _("申请已提交,等待所在派出所或管理员审批"), "success")
        return Redirect(path="/volunteers")

    @get("/my/qr.png")
    async def my_qr_png(self, request: Request) -> Response:
        return _png(cards.qr_png(join_url(request, await _approved_self(request))))

    @get("/my/qr.svg")
    async def my_qr_svg(self, request: Request) -> Response:
        p = await _approved_self(request)
        return Response(content=cards.qr_svg(join_url(request, p)), media_type="image/svg+xml")

    @get("/my/card.png")
    async def my_card(self, request: Request) -> Response:
        p = await _approved_self(request)
        data = cards.card_png(
            join_url(request, p), p.name, p.unit_name, p.kind, await _area_label(p)
        )
        return _png(data, "card.png")

    # -- Approvals ------------------------------------------------------------------------------------

    @get("/propagandists", opt={"roles": READERS})
    async def propagandists(self, request: Request) -> Response | Template:
        user = current_user(request)
        filters = list_filters(request, "status", "district", "q", "idle", "sort")
        if wants_xlsx(request):
            rows = await queries.propagandists(user.scope, filters, limit=EXPORT_LIMIT)
            return xlsx_response(
                _("宣传员"),
                [
                    _("编号"),
                    _("姓名"),
                    _("身份"),
                    _("单位"),
                    _("状态"),
                    _("发展志愿者"),
                    _("已活跃"),
                    _("积分"),
                    _("申请时间"),
                ],
                (
                    [
                        p.id,
                        p.name,
                        p.kind,
                        p.unit_name,
                        p.status_label,
                        p.recruits,
                        p.active_recruits,
                        p.points,
                        local(p.applied_at).strftime("%Y-%m-%d %H:%M"),
                    ]
                    for p in rows
                ),
            )
        async with queries.snapshot():
            p = pager(request, await queries.propagandist_count(user.scope, filters), per_page=30)
            rows = await queries.propagandists(user.scope, filters, p.offset, p.per_page)
            district_choice = await regions.chosen("district", filters["district"])
        return render(
            request,
            "volunteers/propagandists.html",
            "volunteers/_propagandist_rows.html",
            rows=rows,
            pager=p,
            filters=filters,
            statuses=rules.STATUSES,
            district_choice=district_choice,
            can_decide={r.id: rules.may_decide(user.role, user.can_write(r.place)) for r in rows},
            active_nav="volunteers",
        )

    @post("/propagandists/{pid:int}/status", opt={"roles": STATION})
    async def decide(self, request: Request, pid: FromPath[int]) -> Redirect:
        user = current_user(request)
        p = await queries.propagandist(pid)
        if p is None:
            raise NotFoundException(_("宣传员不存在"))
        if not rules.may_decide(user.role, user.can_write(p.place)):
            raise deny(_("只有宣传员所在派出所的协调员或管理员可以审批"))
        status = forms.status_form(await request.form())
        if status is None:
            flash(request, _("请选择通过或暂停"), "error")
        else:
            await queries.set_status(pid, status, user, client_ip(request))
            flash(
                request,
                _("%(name)s:%(status)s", name=p.name, status=rules.STATUSES[status]),
                "success",
            )
        return Redirect(
            path="/volunteers/propagandists?" + request.url.query
            if request.url.query
            else "/volunteers/propagandists"
        )

    @get("/propagandists/{pid:int}/card.png", opt={"roles": STATION})
    async def card(self, request: Request, pid: FromPath[int]) -> Response:
        user = current_user(request)
        p = await queries.propagandist(pid)
        if p is None or p.status != rules.APPROVED:
            raise NotFoundException(_("宣传员不存在或未通过审批"))
        if not user.can_write(p.place):
            raise deny()
        data = cards.card_png(
            join_url(request, p), p.name, p.unit_name, p.kind, await _area_label(p)
        )
        return _png(data, f"card-{p.id}.png")

    # -- Volunteers ------------------------------------------------------------------------------------

    @get("/people", opt={"roles": READERS})
    async def people(self, request: Request) -> Response | Template:
        user = current_user(request)
        filters = list_filters(request, "district", "town", "recruiter", "q", "active")
        if wants_xlsx(request):
            rows = await queries.volunteers(user.scope, filters, limit=EXPORT_LIMIT)
            names = await queries.place_names(
                {c for r in rows for c in (r.village_code, r.town_code, r.district_code)}
            )
            return xlsx_response(
                _("志愿者"),
                [
                    _("编号"),
                    _("昵称"),
                    _("手机"),
                    _("区县"),
                    _("镇街"),
                    _("村社"),
                    _("积分"),
                    _("可用积分"),
                    _("宣传员编号"),
                    _("加入时间"),
                    _("首次参与"),
                ],
                (
                    [
                        r.id,
                        r.nickname,
                        r.phone_masked,
                        names.get(r.district_code, ""),
                        names.get(r.town_code, ""),
                        names.get(r.village_code, ""),
                        r.points,
                        r.balance,
                        r.recruiter_id or "",
                        local(r.created_at).strftime("%Y-%m-%d %H:%M"),
                        local(r.first_active_at).strftime("%Y-%m-%d") if r.first_active_at else "",
                    ]
                    for r in rows
                ),
            )
        async with queries.snapshot():
            p = pager(request, await queries.volunteer_count(user.scope, filters), per_page=50)
            rows = await queries.volunteers(user.scope, filters, p.offset, p.per_page)
            names = await queries.place_names(
                {c for r in rows for c in (r.village_code, r.town_code)}
            )
            district_choice = await regions.chosen("district", filters["district"])
        return render(
            request,
            "volunteers/people.html",
            "volunteers/_people_rows.html",
            rows=rows,
            names=names,
            pager=p,
            filters=filters,
            district_choice=district_choice,
            active_nav="volunteers",
        )

    # -- Rewards handed out at the station ---------------------------------------------------------------

    @get("/redemptions", opt={"roles": STATION})
    async def redemptions(self, request: Request) -> Response | Template:
        user = current_user(request)
        filters = list_filters(request, "status", "code")
        if wants_xlsx(request):
            rows = await queries.redemptions(user.scope, filters, limit=EXPORT_LIMIT)
            return xlsx_response(
                _("礼品兑换"),
                [
                    _("编号"),
                    _("礼品"),
                    _("积分"),
                    _("志愿者"),
                    _("取件码"),
                    _("状态"),
                    _("申请时间"),
                    _("发放人"),
                ],
                (
                    [
                        r.id,
                        r.reward_name,
                        r.price,
                        r.who,
                        r.pickup_code,
                        r.status,
                        local(r.requested_at).strftime("%Y-%m-%d %H:%M"),
                        r.handed_by or "",
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.redemption_count(user.scope, filters), per_page=30)
        return render(
            request,
            "volunteers/redemptions.html",
            None,
            rows=await queries.redemptions(user.scope, filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            active_nav="volunteers",
        )

    @post("/redemptions/{rid:int}", opt={"roles": STATION})
    async def redemption_action(self, request: Request, rid: FromPath[int]) -> Redirect:
        user = current_user(request)
        row = await queries.redemption(rid)
        if row is None:
            raise NotFoundException(_("兑换记录不存在"))
        if not user.is_admin and not user.can_write(
            queries.Place(
                level="town",
                code=row.town_code,
                district_code=row.district_code,
                town_code=row.town_code,
                station_code=row.station_code,
            )
        ):
            raise deny()
        action = forms.redemption_action(await request.form())
        at = queries.now()
        if action == "hand":
            done = await queries.hand_out(rid, user, client_ip(request), at)
            flash(
                request,
                _("已确认发放") if done else _("该兑换已处理过"),
                "success" if done else "error",
            )
        elif action == "cancel":
            done = await queries.cancel_redemption(rid, user, client_ip(request), at)
            flash(
                request,
                _("已取消,积分和库存已退回") if done else _("该兑换已处理过"),
                "success" if done else "error",
            )
        return Redirect(path="/volunteers/redemptions")

    # -- Administration: rules, teams, rewards, quiz bank ---------------------------------------------------

    @get("/settings", opt={"roles": (ADMIN,)})
    async def settings(self, request: Request) -> Template:
        return await self._settings(request, {}, 200)

    async def _settings(self, request: Request, errors: dict, status: int) -> Template:
        return Template(
            template_name="volunteers/settings.html",
            context={
                "rules": await queries.point_rules(),
                "labels": rules.KIND_LABELS,
                "earning": rules.EARNING,
                "teams": await queries.teams(active_only=False),
                "rewards": await queries.rewards_list(active_only=False),
                "errors": errors,
                "active_nav": "volunteers",
            },
            status_code=status,
        )

    @post("/settings/rules/{kind:str}", opt={"roles": (ADMIN,)})
    async def save_rule(self, request: Request, kind: FromPath[str]) -> Template | Redirect:
        if kind not in rules.EARNING:
            raise NotFoundException(_("没有这条积分规则"))
        values, active = forms.rule_form(await request.form())
        checked, errors = forms.check_rule(values)
        if checked is None:
            return await self._settings(request, {kind: errors}, 400)
        await queries.save_rule(kind, *checked, active, current_user(request), client_ip(request))
        flash(request, _("积分规则已保存"), "success")
        return Redirect(path="/volunteers/settings")

    @post("/settings/teams", opt={"roles": (ADMIN,)})
    async def add_team(self, request: Request) -> Template | Redirect:
        team, error = forms.team_form(await request.form())
        if team is None:
            return await self._settings(request, {"team": error}, 400)
        await queries.save_team(*team, current_user(request), client_ip(request))
        flash(request, _("团队已保存"), "success")
        return Redirect(path="/volunteers/settings")

    @post("/settings/rewards", opt={"roles": (ADMIN,)})
    async def add_reward(self, request: Request) -> Template | Redirect:
        rid, values = forms.reward_form(await request.form())
        checked, errors = forms.check_reward(values)
        if checked is None:
            return await self._settings(request, {"reward": errors}, 400)
        await queries.save_reward(rid, checked, current_user(request), client_ip(request))
        flash(request, _("礼品已保存"), "success")
        return Redirect(path="/volunteers/settings")

    @get("/quiz", opt={"roles": (ADMIN,)})
    async def quiz_bank(self, request: Request) -> Response | Template:
        return await self._quiz(request, {}, {}, 200)

    async def _quiz(self, request: Request, values: dict, errors: dict, status: int):
        fraud = request.query_params.get("fraud_type", "")
        p = pager(request, await queries.question_count(fraud), per_page=30)
        page = render(
            request,
            "volunteers/quiz_bank.html",
            None,
            rows=await queries.questions(fraud, p.offset, p.per_page),
            pager=p,
            fraud=fraud,
            fraud_types=await queries.fraud_type_names(),
            values=values,
            errors=errors,
            active_nav="volunteers",
        )
        page.status_code = status
        return page

    @post("/quiz", opt={"roles": (ADMIN,)})
    async def add_question(self, request: Request) -> Template | Redirect:
        values = forms.question_values(await request.form())
        checked, errors = forms.check_question(values, await queries.fraud_type_names())
        if checked is None:
            return await self._quiz(request, values, errors, 400)
        await queries.save_question(checked, current_user(request), client_ip(request))
        flash(request, _("题目已加入题库"), "success")
        return Redirect(path="/volunteers/quiz")

    @post("/quiz/{qid:int}", opt={"roles": (ADMIN,)})
    async def toggle_question(self, request: Request, qid: FromPath[int]) -> Redirect:
        active = form_flag(await request.form(), "active")
        await queries.set_question_active(qid, active, current_user(request), client_ip(request))
        return Redirect(path="/volunteers/quiz")

    # -- Figures ----------------------------------------------------------------------------------------------

    @get("/stats", opt={"roles": (ADMIN, LEADER)})
    async def stats(self, request: Request) -> Response | Template:
        day = today()
        async with queries.snapshot():
            growth = await queries.growth_by_district(day - dt.timedelta(days=29))
            dau = await queries.daily_active(day - dt.timedelta(days=29))
            idle = await queries.propagandists(
                queries.Scope(), {"idle": "1", "sort": "recruits"}, 0, 20
            )
            top = await queries.propagandists(
                queries.Scope(), {"sort": "recruits", "status": rules.APPROVED}, 0, 20
            )
            bursts = await queries.signup_bursts(queries.now() - dt.timedelta(days=7))
        if wants_xlsx(request):
            sheet = request.query_params.get("sheet", "growth")
            if sheet == "dau":
                return xlsx_response(
                    _("日活跃"),
                    [_("日期"), _("活跃志愿者"), _("新加入")],
                    ([str(d["day"]), d["users"], d["signups"]] for d in dau),
                )
            if sheet == "recruiters":
                return xlsx_response(
                    _("宣传员发展情况"),
                    [_("编号"), _("姓名"), _("单位"), _("发展志愿者"), _("已活跃")],
                    (
                        [p.id, p.name, p.unit_name, p.recruits, p.active_recruits]
                        for p in [*top, *idle]
                    ),
                )
            return xlsx_response(
                _("志愿者增长"),
                [_("区县"), _("志愿者"), _("近 30 天新增")],
                ([g.name, g.volunteers, g.new] for g in growth),
            )
        return Template(
            template_name="volunteers/stats.html",
            context={
                "growth": growth,
                "dau": dau,
                "dau_max": max([d["users"] for d in dau] or [1]) or 1,
                "idle": idle,
                "top": top,
                "bursts": bursts,
                "active_nav": "volunteers",
            },
        )

    @get("/reports", opt={"roles": READERS})
    async def reports(self, request: Request) -> Response | Template:
        user = current_user(request)
        kind = request.query_params.get("kind", "")
        kind = kind if kind in forms.REPORT_KINDS else ""
        if wants_xlsx(request):
            rows = await queries.reports(user.scope, kind, limit=EXPORT_LIMIT)
            return xlsx_response(
                _("举报线索"),
                [_("时间"), _("类型"), _("内容"), _("说明")],
                (
                    [
                        local(r.at).strftime("%Y-%m-%d %H:%M"),
                        str(forms.REPORT_KINDS.get(r.kind, r.kind)),
                        forms.masked_content(r.kind, r.content),
                        r.note,
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.report_count(user.scope, kind), per_page=50)
        rows = await queries.reports(user.scope, kind, p.offset, p.per_page)
        return Template(
            template_name="volunteers/reports.html",
            context={
                "rows": [
                    {**r, "shown": forms.masked_content(r["kind"], r["content"])} for r in rows
                ],
                "kinds": forms.REPORT_KINDS,
                "kind": kind,
                "pager": p,
                "active_nav": "volunteers",
            },
        )

    # -- The check-in code of an outreach event ------------------------------------------------------------------

    @get("/events/{event_id:int}/checkin.svg", opt={"roles": READERS})
    async def event_checkin_qr(self, request: Request, event_id: FromPath[int]) -> Response:
        user = current_user(request)
        event = await queries.checkin_event(event_id)
        if event is None:
            raise NotFoundException(_("活动不存在"))
        if not user.can_read(event.place):
            raise deny()
        return Response(
            content=cards.qr_svg(checkin_url(request, event_id), scale=6),
            media_type="image/svg+xml",
        )

    @get("/events/{event_id:int}/checkin", opt={"roles": READERS})
    async def event_checkin_page(self, request: Request, event_id: FromPath[int]) -> Template:
        """The check-in code full screen, to project or print at the event."""
        user = current_user(request)
        event = await queries.checkin_event(event_id)
        if event is None:
            raise NotFoundException(_("活动不存在"))
        if not user.can_read(event.place):
            raise deny()
        return Template(
            template_name="volunteers/event_checkin.html",
            context={"event": event, "url": checkin_url(request, event_id), "active_nav": "events"},
        )
