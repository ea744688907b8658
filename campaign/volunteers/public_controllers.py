"""The volunteers' phone pages (public, no staff account): joining by a propagandist's code,
signing in by phone and one-time code, the volunteer's own page, the daily quiz, event check-in,
sharing, reporting, rewards and the public boards. A volunteer stays signed in by a signed cookie
of their own, separate from staff sessions."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from campaign.accounts.rules import normalize_phone
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.timeutil import today
from campaign.volunteers import forms, public_cache, queries, rules, sms
from campaign.volunteers.public_cache import VOLUNTEER_COOKIE
from campaign.web import client_ip, render

PUBLIC = {"public": True}

CHECKIN_PROBLEMS = {
    "over": _l("这场活动已经结束,不能再签到"),
    "early": _l("活动还没开始,请在活动当天现场扫码签到"),
    "returned": _l("这场活动已被退回,暂不能签到"),
    "again": _l("你已签到过这场活动"),
}


def _volunteer_id(request: Request) -> int | None:
    return rules.read_session(
        request.cookies.get(VOLUNTEER_COOKIE), queries.secret(), int(time.time())
    )


async def signed_in(request: Request) -> queries.VolunteerRow | None:
    vid = _volunteer_id(request)
    return await queries.volunteer(vid) if vid else None


def _with_session(response: Response, vid: int, request: Request) -> Response:
    response.set_cookie(
        VOLUNTEER_COOKIE,
        rules.session_value(vid, int(time.time()), queries.secret()),
        max_age=rules.SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _login_redirect(request: Request, _exc: Exception | None = None) -> Redirect:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(path="/v/login?next=" + quote(here))


class NotSignedIn(Exception):
    """No volunteer session on this phone: the controller answers with the sign-in page, which
    comes back here afterwards (`_login_redirect`)."""


async def _me(request: Request) -> queries.VolunteerRow:
    """The signed-in volunteer, also shown in the page's header; NotSignedIn without one."""
    me = await signed_in(request)
    if me is None:
        raise NotSignedIn
    request.state.volunteer = me
    return me


def _safe_next(target: str) -> str:
    return target if target.startswith("/v/") and not target.startswith("//") else "/v/me"


def _page(request: Request, template: str, status: int = 200, **context) -> Template:
    return Template(
        template_name=template,
        context={"me": getattr(request.state, "volunteer", None), **context},
        status_code=status,
    )


def _busy(request: Request, error: sqlite3.OperationalError) -> Template:
    """SQLite's writers queued longer than its lock timeout (a burst of sign-ups on the embedded
    engine): BEGIN IMMEDIATE failed, nothing was written, so "try again" is the whole answer."""
    if "locked" not in str(error):
        raise error
    return _page(
        request,
        "volunteers/public/refused.html",
        503,
        message=_("现在加入的人很多,请稍后再试"),
    )


async def _recruiter(token: str):
    """The approved propagandist behind a genuine, current code, or (None, problem)."""
    claim = rules.read_recruit_token(token, queries.secret())
    if claim is None:
        return None, _("这个二维码无效或已被改动,请扫描宣传员出示的原始二维码")
    recruiter = await queries.propagandist(claim.propagandist_id)
    if recruiter is None or recruiter.status != rules.APPROVED:
        return None, _("这位宣传员的二维码已停用,请联系当地派出所")
    if claim.area_digest != rules.area_digest(recruiter.area):
        return None, _("这个二维码已失效(宣传范围已调整),请向宣传员索取新的二维码")
    return recruiter, None


class VolunteerPublicController(Controller):
    path = "/v"
    include_in_schema = False
    opt = PUBLIC
    exception_handlers = {NotSignedIn: _login_redirect}

    @get("/")
    async def start(self, request: Request) -> Redirect:
        return Redirect(path="/v/me" if _volunteer_id(request) else "/v/login")

    # -- Joining -----------------------------------------------------------------------------

    @get("/j/{token:str}")
    async def join(self, request: Request, token: FromPath[str]) -> Response | Template:
        """The QR landing page: signed-out visitors share one rendering for a few seconds."""
        page_key = public_cache.key(request)
        hit = public_cache.cached(request, page_key)
        if hit is not None:
            return hit
        async with queries.snapshot():
            recruiter, problem = await _recruiter(token)
            if recruiter is None:
                return _page(request, "volunteers/public/refused.html", 400, message=problem)
            page = await self._join_form(request, token, recruiter, {}, {})
        return public_cache.render(request, page_key, page)

    async def _join_form(self, request, token, recruiter, values, errors, status=200, groups=None):
        return _page(
            request,
            "volunteers/public/join.html",
            status,
            token=token,
            recruiter=recruiter,
            groups=groups if groups is not None else await queries.area_villages(recruiter.area),
            teams=await queries.teams(),
            values=values,
            errors=errors,
            already=await signed_in(request),
        )

    @post("/j/{token:str}")
    async def join_submit(self, request: Request, token: FromPath[str]) -> Response | Template:
        """Reads on one connection, then the throttle's count and the sign-up: two short writes."""
        async with queries.snapshot():
            recruiter, problem = await _recruiter(token)
            if recruiter is not None:
                groups = await queries.area_villages(recruiter.area)
                teams = [t.id for t in await queries.teams()]
        if recruiter is None:
            return _page(request, "volunteers/public/refused.html", 400, message=problem)
        values = forms.signup_values(await request.form())
        at = queries.now()
        try:
            attempts = await queries.note_signup_attempt(f"ip:{client_ip(request)}", at)
        except sqlite3.OperationalError as error:
            return _busy(request, error)
        if not rules.signup_allowed(attempts - 1):
            return _page(
                request,
                "volunteers/public/refused.html",
                429,
                message=_("同一网络短时间内注册过多,请稍后再试"),
            )
        villages = [v.code for g in groups for v in g.villages]
        checked, errors = rules.check_signup(values, villages, teams, normalize_phone)
        if values.get("village") and "village" in errors and values["village"].isdigit():
            errors["village"] = _("该村社不在这位宣传员的宣传范围内,请从列表中选择")
        if checked is None:
            return await self._join_form(request, token, recruiter, values, errors, 400, groups)
        try:
            vid = await queries.sign_up(recruiter, checked, client_ip(request), at)
        except sqlite3.OperationalError as error:
            return _busy(request, error)
        except queries.SignupRefused as refused:
            message = refused.message or _("这个手机号已加入,请直接用手机号登录")
            return await self._join_form(
                request, token, recruiter, values, {refused.field: message}, 400, groups
            )
        return _with_session(Redirect(path="/v/me?welcome=1"), vid, request)

    # -- Signing in ----------------------------------------------------------------------------

    @get("/login")
    async def login(self, request: Request, next: FromQuery[str] = "/v/me") -> Template:
        return _page(
            request, "volunteers/public/login.html", next=_safe_next(next), values={}, errors={}
        )

    @post("/login")
    async def login_submit(self, request: Request) -> Response | Template:
        next_raw, phone_raw, code = forms.login_form(await request.form())
        target = _safe_next(next_raw)
        phone = normalize_phone(phone_raw)
        values = {"phone": phone_raw, "code": code}
        if phone is None:
            errors = {"phone": _("请填写 11 位手机号码")}
            return _page(
                request,
                "volunteers/public/login.html",
                400,
                next=target,
                values=values,
                errors=errors,
            )
        at = queries.now()
        if not code:
            sent, problem = await queries.create_otp(phone, at)
            if sent is None:
                message = (
                    _("这个手机号还没有加入,请扫描宣传员的二维码加入")
                    if problem == "unknown"
                    else _("验证码已发送,请 1 分钟后再试")
                )
                status = 404 if problem == "unknown" else 429
                return _page(
                    request,
                    "volunteers/public/login.html",
                    status,
                    next=target,
                    values=values,
                    errors={"phone": message},
                )
            sender = sms.sender()
            await sender.send(
                phone, _("【防骗我最牛】你的登录验证码是 %(code)s,10 分钟内有效。", code=sent)
            )
            demo_code = sent if (request.state.demo or sender.name == "log") else None
            return _page(
                request,
                "volunteers/public/login.html",
                next=target,
                values=values,
                errors={},
                code_sent=True,
                demo_code=demo_code,
            )
        vid, outcome = await queries.check_otp(phone, code, at)
        if vid is None:
            message = {
                "wrong": _("验证码不正确,请重新输入"),
                "locked": _("错误次数过多,验证码已失效,请重新获取"),
                "expired": _("验证码已过期,请重新获取"),
            }.get(outcome, _("请先获取验证码"))
            return _page(
                request,
                "volunteers/public/login.html",
                400,
                next=target,
                values=values,
                errors={"code": message},
                code_sent=outcome == "wrong",
            )
        return _with_session(Redirect(path=target), vid, request)

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        response = Redirect(path="/v/login")
        response.delete_cookie(VOLUNTEER_COOKIE)
        return response

    # -- The volunteer's own page ------------------------------------------------------------------

    @get("/me")
    async def me(self, request: Request, welcome: FromQuery[str] = "") -> Template | Redirect:
        me = await _me(request)
        day = today()
        await queries.touch(me.id, queries.now())
        async with queries.snapshot():
            week = await queries.position("v", rules.bucket("w", day), "town", me.town_code, me.id)
            alltime = await queries.position("v", "a", "city", "", me.id)
            kinds = await queries.entries_by_kind("v", me.id)
            history = await queries.ledger("v", me.id, 30)
            places = await queries.place_names([me.village_code, me.town_code])
        return _page(
            request,
            "volunteers/public/me.html",
            week=week,
            alltime=alltime,
            badges=rules.badges(me.points, kinds),
            history=history,
            kind_labels=rules.KIND_LABELS,
            village=places.get(me.village_code, ""),
            town=places.get(me.town_code, ""),
            materials=await queries.materials_for(me.interests, day),
            trends=await queries.week_trends(day),
            fraud_types=await queries.fraud_type_names(),
            audiences=_audiences(),
            welcome=bool(welcome),
            quiz_done=bool(await queries.quiz_answers(me.id, day)),
        )

    @post("/me/interests")
    async def interests(self, request: Request) -> Redirect:
        me = await _me(request)
        allowed = {*await queries.fraud_type_names(), *_audiences()}
        chosen = forms.chosen_interests(await request.form(), allowed)
        await queries.set_interests(me.id, chosen)
        return Redirect(path="/v/me#for-you")

    # -- Quiz ----------------------------------------------------------------------------------------

    @get("/quiz")
    async def quiz(self, request: Request) -> Template | Redirect:
        me = await _me(request)
        day = today()
        return _page(
            request,
            "volunteers/public/quiz.html",
            questions=await queries.quiz_questions(me, day),
            answers=await queries.quiz_answers(me.id, day),
            outcome=None,
        )

    @post("/quiz")
    async def quiz_submit(self, request: Request) -> Template | Redirect:
        me = await _me(request)
        day = today()
        questions = await queries.quiz_questions(me, day)
        chosen = forms.quiz_choices(await request.form(), [q.id for q in questions])
        outcome = await queries.answer_quiz_once(me, questions, chosen, queries.now())
        request.state.volunteer = await queries.volunteer(me.id)
        return _page(
            request,
            "volunteers/public/quiz.html",
            200 if outcome.problem != "again" else 409,
            questions=questions,
            answers=await queries.quiz_answers(me.id, day),
            outcome=outcome,
        )

    # -- Event check-in --------------------------------------------------------------------------------

    async def _event(self, event_id: int, s: str) -> queries.CheckinEvent:
        if not rules.checkin_signature_ok(event_id, s, queries.secret()):
            raise NotFoundException(_("签到码无效,请扫描活动现场的二维码"))
        event = await queries.checkin_event(event_id)
        if event is None:
            raise NotFoundException(_("活动不存在"))
        return event

    @get("/checkin/{event_id:int}")
    async def checkin(
        self, request: Request, event_id: FromPath[int], s: FromQuery[str] = ""
    ) -> Template | Redirect:
        event = await self._event(event_id, s)
        await _me(request)
        return _page(
            request,
            "volunteers/public/checkin.html",
            event=event,
            s=s,
            outcome=None,
            problems=CHECKIN_PROBLEMS,
        )

    @post("/checkin/{event_id:int}")
    async def checkin_submit(
        self, request: Request, event_id: FromPath[int]
    ) -> Template | Redirect:
        s = forms.checkin_signature(await request.form())
        event = await self._event(event_id, s)
        me = await _me(request)
        outcome = await queries.check_in(me, event, queries.now())
        request.state.volunteer = await queries.volunteer(me.id)
        return _page(
            request,
            "volunteers/public/checkin.html",
            200 if outcome.problem is None else 409,
            event=event,
            s=s,
            outcome=outcome,
            problems=CHECKIN_PROBLEMS,
        )

    # -- Sharing and reporting -----------------------------------------------------------------------------

    @post("/share/{material_id:int}")
    async def share(self, request: Request, material_id: FromPath[int]) -> Template | Redirect:
        me = await _me(request)
        material = await queries.material_title(material_id)
        if material is None:
            raise NotFoundException(_("素材不存在或已下架"))
        token = await queries.share_link(me, material_id, material["title"])
        url = f"{str(request.base_url).rstrip('/')}/s/{token}"
        return _page(
            request, "volunteers/public/share.html", material=material, url=url, token=token
        )

    @get("/report")
    async def report(self, request: Request) -> Template | Redirect:
        await _me(request)
        return _page(
            request,
            "volunteers/public/report.html",
            kinds=forms.REPORT_KINDS,
            values={},
            errors={},
            outcome=None,
        )

    @post("/report")
    async def report_submit(self, request: Request) -> Template | Redirect:
        me = await _me(request)
        values = forms.report_values(await request.form())
        checked, errors = forms.check_report(values)
        if checked is None:
            return _page(
                request,
                "volunteers/public/report.html",
                400,
                kinds=forms.REPORT_KINDS,
                values=values,
                errors=errors,
                outcome=None,
            )
        outcome = await queries.report_suspicious(me, *checked, queries.now())
        request.state.volunteer = await queries.volunteer(me.id)
        return _page(
            request,
            "volunteers/public/report.html",
            kinds=forms.REPORT_KINDS,
            values={},
            errors={},
            outcome=outcome,
        )

    # -- Rewards -----------------------------------------------------------------------------------------

    @get("/rewards")
    async def rewards(self, request: Request) -> Template | Redirect:
        me = await _me(request)
        return await self._rewards(request, me, None, 200)

    async def _rewards(self, request, me, message, status, ok=False):
        return _page(
            request,
            "volunteers/public/rewards.html",
            status,
            rewards=await queries.rewards_list(),
            mine=await queries.redemptions_of(me.id),
            message=message,
            ok=ok,
        )

    @post("/rewards/{reward_id:int}")
    async def redeem(self, request: Request, reward_id: FromPath[int]) -> Template | Redirect:
        me = await _me(request)
        rid, problem = await queries.redeem(me, reward_id, queries.now())
        me = await queries.volunteer(me.id) or me  # the balance after redeeming
        request.state.volunteer = me
        if rid is None:
            message = {
                "points": _("积分不足,继续参加活动、答题赚积分吧"),
                "stock": _("这件礼品已兑完,请选择其他礼品"),
            }.get(problem or "", _("这件礼品已下架"))
            return await self._rewards(request, me, message, 409)
        return await self._rewards(
            request, me, _("兑换成功!请凭取件码到所在派出所领取"), 200, ok=True
        )

    # -- Boards --------------------------------------------------------------------------------------------

    @get("/boards")
    async def boards(self, request: Request) -> Response | Template:
        """?board=v|p|t&period=w|m|a&scope=city|district|town&code= (all optional). Signed-out
        visitors share one rendering per board for a few seconds (public_cache)."""
        page_key = public_cache.key(request)
        hit = public_cache.cached(request, page_key)
        if hit is not None:
            return hit
        params = request.query_params
        board, period = params.get("board", "v"), params.get("period", "w")
        scope, code = params.get("scope", "city"), params.get("code", "").strip()[:12]
        board = board if board in rules.BOARDS else "v"
        period = period if period in rules.PERIODS else "w"
        scope = scope if scope in rules.SCOPES and board != "t" else "city"
        me = await signed_in(request)
        request.state.volunteer = me
        if scope != "city" and not code and me:
            code = me.district_code if scope == "district" else me.town_code
        if scope != "city" and not code:
            scope = "city"
        bucket_key = rules.bucket(period, today())
        async with queries.snapshot():
            entries = await queries.board_page(board, bucket_key, scope, code, 0, 50)
            mine = None
            if me and board == "v":
                mine = await queries.position("v", bucket_key, scope, code, me.id)
            names = await queries.place_names([code] if code else [])
        page = render(
            request,
            "volunteers/public/boards.html",
            "volunteers/public/_board_rows.html",
            me=me,
            entries=entries,
            board=board,
            period=period,
            scope=scope,
            code=code,
            scope_name=names.get(code, ""),
            mine=mine,
            boards=rules.BOARDS,
            periods=rules.PERIODS,
            districts=await queries.district_choices(),
        )
        return public_cache.render(request, page_key, page)


def _audiences() -> tuple[str, ...]:
    from campaign.materials.rules import AUDIENCES

    return AUDIENCES


class ShareController(Controller):
    """A volunteer's personal share link, opened by anyone."""

    include_in_schema = False
    opt = PUBLIC

    @get("/s/{token:str}")
    async def open(self, request: Request, token: FromPath[str]) -> Template:
        link = await queries.shared_link(token)
        if link is None:
            raise NotFoundException(_("链接不存在"))
        material = await queries.material_title(link.material_id)
        agent = request.headers.get("user-agent", "")
        key = hashlib.sha256(f"{client_ip(request)}|{agent}".encode()).hexdigest()[:40]
        if _volunteer_id(request) != link.volunteer_id:
            await queries.open_share(link, key, queries.now())
        return Template(
            template_name="volunteers/public/shared.html",
            context={"me": None, "material": material, "link": link},
        )
