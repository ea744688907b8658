"""The weekly anti-fraud map (反诈地图): archive, a week's bulletin with its print layout, Excel and
share image, the public latest-bulletin page with its QR code, and GET /api/v1/bulletins/{week}."""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import segno
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from markupsafe import Markup, escape

from campaign import i18n
from campaign.accounts.rules import ADMIN, LEADER, CurrentUser
from campaign.cases import queries as cases
from campaign.i18n import _
from campaign.importing import (
    MAX_UPLOAD_BYTES,
    ImportRejected,
    read_table,
    upload_filename,
    uploaded_table,
)
from campaign.reports import forms, images, public, queries, rules
from campaign.reports.rules import Week, WeekError
from campaign.settings import get_settings
from campaign.timeutil import today
from campaign.web import (
    client_ip,
    current_user,
    jinja_template,
    list_filters,
    pager,
    render,
    wants_xlsx,
    xlsx_response,
)

READERS = (ADMIN, LEADER)
PUBLIC_RATE = RateLimitConfig(
    rate_limit=("minute", public.RATE_PER_MINUTE), exclude_opt_key="no_rate_limit"
)


def parse_week(raw: str) -> Week:
    """A week from the URL: malformed or missing → 404, not begun yet → 400 (Chinese messages)."""
    try:
        week = rules.parse_week(raw)
    except WeekError as error:
        raise NotFoundException(str(error)) from error
    try:
        rules.check_not_future(week, today())
    except WeekError as error:
        raise ValidationException(str(error)) from error
    return week


async def visible_bulletin(user: CurrentUser, week: Week) -> queries.BulletinView:
    """Admins see drafts (stored or computed on demand); leaders only published weeks."""
    view = await queries.bulletin_for(week, include_draft=user.is_admin)
    if view is None:
        raise NotFoundException(_("%(w)s 的反诈地图尚未发布", w=week.key))
    return view


def public_cache_key(request: Request) -> str:
    """One cached public page per language (the page follows the locale cookie) and, without
    PUBLIC_BASE_URL, per host (the QR code carries the address the request came in on)."""
    host = "" if get_settings().public_base_url else request.url.netloc
    return public.cache_key(request.url.path, request.cookies.get(i18n.LOCALE_COOKIE, ""), host)


def public_url(request: Request) -> str:
    """The public page's address for QR codes and posters: PUBLIC_BASE_URL when set, else the
    address the request came in on."""
    base = get_settings().public_base_url or str(request.base_url).rstrip("/")
    return base + "/public/bulletin"


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def chart_data(figures: dict) -> dict:
    """What static/js/reports.js draws: the map, type shares, occupations and 12-week trends."""
    return {
        "districts": [{"name": d["name"], "value": d["cases"]} for d in figures["districts"]],
        "hot_towns": [f"{t['district']} {t['name']} {t['cases']}" for t in figures["hot_towns"]],
        "types": [{"name": t["name"], "value": t["cases"]} for t in figures["types"]],
        "occupations": [
            {"name": o["name"], "value": o["cases"]}
            for o in figures["occupations"]
            if o["name"] != rules.OTHER_GROUP
        ],
        "weeks": figures["trend_weeks"],
        "trend": [{"name": a["name"], "data": a["trend"]} for a in figures["areas"]],
    }


def change_html(c: dict) -> Markup:
    """A change as the bulletin shows it: ↑/↓ with one decimal (red up, green down), "新增",
    "持平", and a "显著" badge when the Poisson signal flags it."""
    if c["is_new"]:
        html = f'<span class="chg up" data-change="new">{escape(_("新增"))}</span>'
    elif c["percent"] is None or c["direction"] == "flat":
        html = f'<span class="chg flat" data-change="flat">{escape(_("持平"))}</span>'
    else:
        arrow = "↑" if c["direction"] == "up" else "↓"
        html = (
            f'<span class="chg {c["direction"]}" data-change="{c["percent"]}">'
            f"{arrow}{abs(c['percent']):.1f}%</span>"
        )
    if c["flagged"]:
        html += f'<span class="badge warn" title="z = {c["z"]:.1f}">{escape(_("显著"))}</span>'
    return Markup(html)


def bulletin_context(view: queries.BulletinView) -> dict[str, Any]:
    figures = view.figures
    areas = {a["code"]: a for a in figures["areas"]}
    return {
        "view": view,
        "f": figures,
        "areas_by_code": areas,
        "paragraphs": [p for p in view.narrative.split("\n") if p.strip()],
        "charts": chart_data(figures),
        "change_html": change_html,
    }


#: Drawn figures of published revisions, {(week, revision, published at, language): (label,
#: html)}. A revision never changes, so an entry never goes stale (the publishing time tells a
#: database restored or rebuilt apart); the least recently shown leave past the size.
_bodies: OrderedDict[tuple, tuple[str, Markup]] = OrderedDict()
BODY_CACHE_SIZE = 32


def _body_key(view: queries.BulletinView) -> tuple:
    return (view.week_key, view.revision, view.published_at, i18n.current_locale.get())


def bulletin_body(request: Request, view: queries.BulletinView) -> tuple[str, Markup]:
    """The week label and the page's figures drawn (headline, map, lists, the area table,
    charts): a 2,800-area national table takes a quarter of a second, so a published revision
    is drawn once per language and process."""
    key = _body_key(view)
    if not view.published or key not in _bodies:
        template = jinja_template(request, "reports/_bulletin_body.html")
        drawn = (view.figures["label"], Markup(template.render(**bulletin_context(view))))
        if not view.published:
            return drawn
        _remember(key, drawn)
    _bodies.move_to_end(key)
    return _bodies[key]


def _remember(key: tuple, drawn: tuple[str, Markup]) -> None:
    _bodies[key] = drawn
    while len(_bodies) > BODY_CACHE_SIZE:
        _bodies.popitem(last=False)


async def page_view(request: Request, week: Week) -> dict[str, Any]:
    """What the bulletin page shows: the view, its label and its drawn figures. A published
    revision already drawn is read without its figures."""
    head = await queries.latest_published(week.key, figures=False)
    view = head
    if head is None or _body_key(head) not in _bodies:
        view = await visible_bulletin(current_user(request), week)
    assert view is not None
    label, body = bulletin_body(request, view)
    return {"view": view, "label": label, "body": body}


def bulletin_rows(figures: dict) -> tuple[list[str], list[list]]:
    """The Excel export: the area table, then type shares and occupation groups."""
    headers = [
        _("片区"),
        _("案件(起)"),
        _("上周(起)"),
        _("环比"),
        _("涉案金额(元)"),
        _("上周金额(元)"),
        _("金额环比"),
        _("去年同周(起)"),
        _("同比"),
        _("连续下降(周)"),
        _("每万人预警人数"),
    ]

    def pct(c: dict) -> str:
        return (
            _("新增") if c["is_new"] else ("" if c["percent"] is None else f"{c['percent']:+.1f}%")
        )

    rows: list[list] = [
        [
            a["name"],
            a["cases"],
            a["previous_cases"],
            pct(a["cases_change"]),
            a["loss_fen"] / 100,
            a["previous_loss_fen"] / 100,
            pct(a["loss_change"]),
            a["year_cases"],
            pct(a["cases_yoy"]),
            a["decline_weeks"],
            "—" if a["warned_per_10k"] is None else round(a["warned_per_10k"], 2),
        ]
        for a in figures["areas"]
    ]
    rows.append(
        [
            _("全市"),
            figures["cases"],
            figures["previous_cases"],
            pct(figures["cases_change"]),
            figures["loss_fen"] / 100,
            figures["previous_loss_fen"] / 100,
            pct(figures["loss_change"]),
            figures["year_cases"],
            pct(figures["cases_yoy"]),
            "",
            "",
        ]
    )
    rows.append([])
    rows.append([_("诈骗类型"), _("案件(起)"), _("占比"), _("环比")])
    rows += [
        [t["name"], t["cases"], f"{t['share'] * 100:.1f}%", pct(t["change"])]
        for t in figures["types"]
    ]
    rows.append([])
    rows.append([_("受害人职业"), _("人数"), _("占比")])
    rows += [[o["name"], o["cases"], f"{o['share'] * 100:.1f}%"] for o in figures["occupations"]]
    rows.append([])
    rows.append([_("年龄段"), _("人数")])
    rows += [[b["name"], b["cases"]] for b in figures["ages"]]
    return headers, rows


class BulletinController(Controller):
    path = "/bulletins"
    include_in_schema = False

    @get("/", opt={"roles": READERS})
    async def archive(self, request: Request) -> Any:
        user = current_user(request)
        year = list_filters(request, "year")["year"]
        year = year if year.isdigit() and len(year) == 4 else ""
        rows = await queries.archive(include_drafts=user.is_admin, year=year or None)
        if wants_xlsx(request):
            return xlsx_response(
                _("反诈地图归档"),
                [_("周次"), _("日期"), _("状态"), _("版本"), _("案件(起)"), _("涉案金额(元)")],
                [
                    [
                        r.week_key,
                        r.label,
                        _("已发布") if r.status == "published" else _("草稿"),
                        r.revision,
                        r.cases,
                        r.loss_fen / 100,
                    ]
                    for r in rows
                ],
            )
        page = pager(request, len(rows), per_page=26)
        last = rules.last_complete_week(today())
        return render(
            request,
            "reports/archive.html",
            rows=rows[page.offset : page.offset + page.per_page],
            pager=page,
            year=year,
            last_week=last,
            active_nav="bulletin",
        )

    @get("/open", opt={"roles": READERS})
    async def open_week(self, request: Request) -> Redirect:
        """The archive's "go to week" form (an <input type="week"> sends 2023-W27)."""
        raw = request.query_params.get("week", "")
        try:
            week = rules.parse_week(raw)
            rules.check_not_future(week, today())
        except WeekError as error:
            flash(request, str(error), "error")
            return Redirect(path="/bulletins")
        return Redirect(path=f"/bulletins/{week.key}")

    @get("/{week_key:str}", opt={"roles": READERS})
    async def bulletin(self, request: Request, week_key: FromPath[str]) -> Any:
        week = parse_week(week_key)
        if wants_xlsx(request):
            view = await visible_bulletin(current_user(request), week)
            headers, rows = bulletin_rows(view.figures)
            return xlsx_response(_("反诈地图 %(w)s", w=week.key), headers, rows)
        page = await page_view(request, week)
        return render(
            request,
            "reports/bulletin.html",
            week=week,
            revisions=await queries.revisions(week.key),
            errors={},
            public_url=public_url(request),
            active_nav="bulletin",
            **page,
        )

    @get("/{week_key:str}/print", opt={"roles": READERS})
    async def print_layout(self, request: Request, week_key: FromPath[str]) -> Template:
        week = parse_week(week_key)
        view = await visible_bulletin(current_user(request), week)
        return render(
            request,
            "reports/print.html",
            week=week,
            public_url=public_url(request),
            **bulletin_context(view),
        )

    @get("/{week_key:str}/share.png", opt={"roles": READERS}, media_type="image/png")
    async def share_image(self, request: Request, week_key: FromPath[str]) -> Response:
        week = parse_week(week_key)
        view = await visible_bulletin(current_user(request), week)
        png = images.share_png(
            view.figures, view.narrative, view.reminder, qr_png(public_url(request))
        )
        return Response(
            png,
            media_type="image/png",
            headers={"Content-Disposition": f'inline; filename="bulletin-{week.key}.png"'},
        )

    @post("/{week_key:str}/draft", opt={"roles": (ADMIN,)})
    async def draft(self, request: Request, week_key: FromPath[str]) -> Redirect:
        week = parse_week(week_key)
        await queries.draft_week(week, current_user(request), client_ip(request))
        flash(request, _("已按当前数据重新计算草稿"), "success")
        return Redirect(path=f"/bulletins/{week.key}")

    @post("/{week_key:str}/text", opt={"roles": (ADMIN,)})
    async def save_text(self, request: Request, week_key: FromPath[str]) -> Any:
        week = parse_week(week_key)
        values, errors = forms.text_form(await request.form())
        if errors:
            context = await page_view(request, week)
            context["view"] = replace(context["view"], **values)  # the input is kept
            return Template(
                template_name="reports/bulletin.html",
                context={
                    "week": week,
                    "revisions": await queries.revisions(week.key),
                    "errors": errors,
                    "public_url": public_url(request),
                    "active_nav": "bulletin",
                    **context,
                },
                status_code=400,
                media_type=MediaType.HTML,
            )
        await queries.save_text(
            week, values["narrative"], values["reminder"], current_user(request), client_ip(request)
        )
        flash(request, _("文字已保存"), "success")
        return Redirect(path=f"/bulletins/{week.key}")

    @post("/{week_key:str}/publish", opt={"roles": (ADMIN,)})
    async def publish(self, request: Request, week_key: FromPath[str]) -> Redirect:
        week = parse_week(week_key)
        view = await queries.publish(week, current_user(request), client_ip(request))
        flash(request, _("已发布第 %(n)s 版", n=view.revision), "success")
        return Redirect(path=f"/bulletins/{week.key}")

    @post("/{week_key:str}/revise", opt={"roles": (ADMIN,)})
    async def revise(self, request: Request, week_key: FromPath[str]) -> Redirect:
        week = parse_week(week_key)
        view = await queries.revise_if_changed(week)
        if view is None:
            flash(request, _("数据没有变化,无需修订"), "info")
        else:
            flash(request, _("数据有变化,已生成第 %(n)s 版", n=view.revision), "success")
        return Redirect(path=f"/bulletins/{week.key}")


class AreaController(Controller):
    """Reporting areas: one form with every town's area, an import, and back to districts."""

    path = "/bulletin-areas"
    include_in_schema = False
    opt = {"roles": (ADMIN,)}

    async def _page(
        self, request: Request, pairs, problems=(), status: int = 200, **extra
    ) -> Template:
        towns = await queries.towns()
        districts = await queries.district_names()
        area_of = {town: area for area, town in pairs}
        return Template(
            template_name="reports/areas.html",
            context={
                "towns": towns,
                "districts": districts,
                "area_of": area_of,
                "area_names": sorted({a for a, _t in pairs if a}),
                "problems": problems,
                "bad_towns": {code for problem in problems for code in problem.codes},
                "is_default": await queries.areas_are_default(),
                "active_nav": "bulletin",
                **extra,
            },
            status_code=status,
            media_type=MediaType.HTML,
        )

    @get("/")
    async def page(self, request: Request) -> Any:
        pairs = await queries.area_assignment()
        if wants_xlsx(request):
            names = {t.code: t.name for t in await queries.towns()}
            return xlsx_response(
                _("片区定义"),
                [_("片区"), _("镇街代码"), _("镇街")],
                [[a, t, names.get(t, "")] for a, t in pairs],
            )
        return await self._page(request, pairs)

    @post("/")
    async def save(self, request: Request) -> Any:
        form = await request.form()
        towns = [t.code for t in await queries.towns()]
        pairs = forms.area_form(form, towns)
        problems = await queries.save_areas(pairs, current_user(request), client_ip(request))
        if problems:
            return await self._page(request, pairs, problems, status=400)
        flash(request, _("片区已保存"), "success")
        return Redirect(path="/bulletin-areas")

    @post("/import", request_max_body_size=MAX_UPLOAD_BYTES)
    async def import_file(self, request: Request) -> Any:
        upload, errors = uploaded_table(await request.form())
        current = await queries.area_assignment()
        if upload is None:
            return await self._page(request, current, status=400, file_error=errors["file"])
        data = await upload.read()
        try:
            rows = read_table(upload_filename(upload.filename), data, forms.AREA_COLUMNS)
            pairs, row_errors = forms.area_rows(rows)
            if row_errors:
                raise ImportRejected(row_errors)
        except ImportRejected as rejected:
            return await self._page(request, current, status=400, rejected=rejected)
        problems = await queries.save_areas(pairs, current_user(request), client_ip(request))
        if problems:
            return await self._page(request, pairs, problems, status=400)
        flash(request, _("已导入片区定义"), "success")
        return Redirect(path="/bulletin-areas")

    @post("/reset")
    async def reset(self, request: Request) -> Redirect:
        await queries.reset_areas(current_user(request), client_ip(request))
        flash(request, _("已恢复为每个区县一个片区"), "success")
        return Redirect(path="/bulletin-areas")


class ReminderController(Controller):
    """The admin-editable list of prevention reminders the bulletin chooses from."""

    path = "/bulletin-reminders"
    include_in_schema = False
    opt = {"roles": (ADMIN,)}

    async def _page(
        self,
        values: Mapping[str, Any] | None = None,
        errors: dict | None = None,
        status: int = 200,
        edit: int | None = None,
    ) -> Template:
        return Template(
            template_name="reports/reminders.html",
            context={
                "reminders": await queries.reminders(),
                "values": values or {"active": True},
                "errors": errors or {},
                "edit": edit,
                "fraud_types": await cases.fraud_type_names(),
                "groups": await cases.occupation_group_names(),
                "active_nav": "bulletin",
            },
            status_code=status,
            media_type=MediaType.HTML,
        )

    @get("/")
    async def page(self, request: Request) -> Any:
        rows = await queries.reminders()
        if wants_xlsx(request):
            return xlsx_response(
                _("防骗提醒"),
                [_("提醒"), _("诈骗类型"), _("受害人群"), _("月份"), _("启用")],
                [
                    [r["text"], r["fraud_type"], r["occupation_group"], r["months"], r["active"]]
                    for r in rows
                ],
            )
        edit = request.query_params.get("edit", "")
        if edit.isdigit() and (row := await queries.reminder(int(edit))):
            return await self._page(row, edit=int(edit))
        return await self._page()

    @post("/")
    async def save(self, request: Request) -> Any:
        form = await request.form()
        values, errors = forms.reminder_form(form)
        reminder_id = forms.reminder_id(form)
        if reminder_id is not None and await queries.reminder(reminder_id) is None:
            raise NotFoundException(_("提醒不存在"))
        if errors:
            return await self._page(values, errors, 400, reminder_id)
        await queries.save_reminder(reminder_id, values, current_user(request), client_ip(request))
        flash(request, _("已保存"), "success")
        return Redirect(path="/bulletin-reminders")

    @post("/{reminder_id:int}/delete")
    async def delete(self, request: Request, reminder_id: FromPath[int]) -> Redirect:
        if await queries.reminder(reminder_id) is None:
            raise NotFoundException(_("提醒不存在"))
        await queries.delete_reminder(reminder_id, current_user(request), client_ip(request))
        flash(request, _("已删除"), "success")
        return Redirect(path="/bulletin-reminders")


class PublicBulletinController(Controller):
    """The latest published bulletin for anyone with the link or the poster's QR code: no login,
    aggregate figures only (no case, victim or phone), rate-limited per client address."""

    path = "/public/bulletin"
    include_in_schema = False
    opt = {"public": True}
    middleware = [PUBLIC_RATE.middleware]

    @get("/", cache=public.CACHE_SECONDS, cache_key_builder=public_cache_key)
    async def latest(self, request: Request) -> Response:
        """Cached for a minute: scanned from posters by thousands of phones, it changes weekly.
        When the cache lapses, the revision drawn already is served without its figures read,
        so a burst of phones at that moment costs one small query each."""
        head = await queries.latest_public(figures=False)
        key = (
            "public",
            public_url(request),
            i18n.current_locale.get(),
            *(_body_key(head) if head else ()),
        )
        if key not in _bodies:
            view = await queries.latest_public() if head else None
            context = bulletin_context(view) if view else {}
            if view:  # no trend chart on phones: 12 weeks of every area would only weigh it
                context["charts"] = {**context["charts"], "trend": [], "weeks": []}
            template = jinja_template(request, "reports/public.html")
            html = template.render(request=request, public_url=public_url(request), **context)
            _remember(key, ("", Markup(html)))
        return Response(
            _bodies[key][1],
            media_type=MediaType.HTML,
            headers={"Cache-Control": "public, max-age=300"},
        )

    @get("/qr.png", media_type="image/png", cache=86400, cache_key_builder=public_cache_key)
    async def qr(self, request: Request) -> Response:
        return Response(
            qr_png(public_url(request)),
            media_type="image/png",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @get(
        "/share.png",
        media_type="image/png",
        cache=public.CACHE_SECONDS,
        cache_key_builder=public_cache_key,
    )
    async def share(self, request: Request) -> Response:
        view = await queries.latest_public()
        if view is None:
            raise NotFoundException(_("还没有发布的反诈地图"))
        png = images.share_png(
            view.figures, view.narrative, view.reminder, qr_png(public_url(request))
        )
        return Response(
            png, media_type="image/png", headers={"Cache-Control": "public, max-age=300"}
        )


@dataclass(frozen=True, slots=True)
class BulletinData:
    """One week's bulletin: `status` draft|published, `revision` (0 = draft), what the revision
    `changes`, the text, and `figures` (every number, see the endpoint's description)."""

    week: str
    status: str
    revision: int
    published_at: str | None
    narrative: str
    reminder: str
    changes: list[dict[str, Any]]
    figures: dict[str, Any]


class BulletinApiController(Controller):
    path = "/api/v1"
    tags = ["bulletins"]

    @get("/bulletins/{week_key:str}", opt={"roles": READERS})
    async def bulletin(self, request: Request, week_key: FromPath[str]) -> BulletinData:
        """One ISO week's bulletin, `{year}-W{week}` (2023-W27): the latest published revision, or
        for administrators a draft computed on demand when none is published.

        Every figure is data: `cases`, `loss_fen` (fen), `cases_change`/`loss_change` (环比) and
        `cases_yoy`/`loss_yoy` (同比) with `percent` (None = "新增" or both zero), `absolute`,
        Poisson `z` and `flagged`; `areas` (per area: cases, loss, changes, `decline_weeks`,
        12-week `trend`, `warned_per_10k`); `top_cases`, `top_decline`, `risk_areas` (area codes in
        order); `hot_towns`; `types` with `share` and `leading_types`/`leading_share`;
        `sharp_risers`; `occupations`; `ages`; the `narrative`, `reminder` and `revision`.
        A malformed week is 404, a week that has not begun 400."""
        week = parse_week(week_key)
        view = await visible_bulletin(current_user(request), week)
        return BulletinData(
            week=week.key,
            status=view.status,
            revision=view.revision,
            published_at=view.published_at.isoformat() if view.published_at else None,
            narrative=view.narrative,
            reminder=view.reminder,
            changes=view.changes,
            figures=view.figures,
        )
