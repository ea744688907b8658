"""Warning boards (live over server-sent events), a warning's page with its response clock, the
figures page, the upload page, and POST /api/v1/warnings."""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Stream, Template
from litestar.response.sse import ServerSentEventMessage

from campaign import i18n
from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser
from campaign.i18n import _
from campaign.importing import (
    MAX_UPLOAD_BYTES,
    ImportRejected,
    confirmed_upload,
    import_upload,
    keep_upload,
    purge_stale_uploads,
    upload_filename,
)
from campaign.parsing import form_values
from campaign.regions import queries as regions
from campaign.timeutil import local, today
from campaign.warnings import feed, forms, imports, queries, rules
from campaign.warnings.queries import WarningRow
from campaign.web import (
    COUNT_CAP,
    client_ip,
    current_user,
    deny,
    jinja_template,
    list_filters,
    pager,
    render,
    wants_xlsx,
    xlsx_response,
)

READERS = (ADMIN, LEADER, COORDINATOR)
ACTORS = (ADMIN, COORDINATOR)
FILTER_KEYS = ("status", "risk", "queue", "overdue", "outcome", "station", "from", "to", "q")
EXPORT_MAX = 100_000
#: A board's stream ends after this long and the browser reconnects (with Last-Event-ID), so
#: a stream never outlives a deploy or a changed permission by much.
STREAM_SECONDS = 300.0
#: After this long without events a board gets a keep-alive comment.
HEARTBEAT_SECONDS = 10.0
#: How far back a connecting board re-reads events (commits out of id order before a reconnect).
LOOKBACK = dt.timedelta(seconds=30)


def _filters(request: Request) -> dict[str, str]:
    filters = list_filters(request, *FILTER_KEYS)
    if "status" not in request.query_params:
        filters["status"] = "open"
    return filters


async def _readable(user: CurrentUser, warning_id: int) -> WarningRow:
    row = await queries.warning(warning_id)
    if row is None:
        raise NotFoundException(_("预警不存在"))
    if not user.is_admin and not rules.in_scope(user.scope, row.as_mapping()):
        raise deny(_("这条预警不在你的辖区范围内"))
    return row


async def _actionable(user: CurrentUser, warning_id: int) -> WarningRow:
    row = await _readable(user, warning_id)
    if not rules.can_act(user.role, user.scope, row.as_mapping()):
        raise deny(_("你无权处置这条预警"))
    return row


def _labels() -> dict:
    """The vocabulary in the request's language, translated once here rather than per table cell
    (a lazy label is looked up again every time a template shows it)."""
    return {
        "risks": _translated(rules.RISK_LEVELS),
        "statuses": _translated(rules.STATUSES),
        "outcomes": _translated(rules.OUTCOMES),
        "methods": _translated(rules.CONTACT_METHODS),
        "attempt_methods": _translated(rules.ATTEMPT_METHODS),
        "fmt_minutes": rules.fmt_minutes,
    }


def _translated(labels: dict) -> dict[str, str]:
    return {key: str(label) for key, label in labels.items()}


@functools.lru_cache(maxsize=16)
def _row_module(template: Any, locale: str) -> Any:
    """The row template made a module once per (template, language): its fixed texts and
    labels are worked out then, and a row is one macro call. Rendering the file per row made a
    template context and translated a dozen texts each time, and a live board draws hundreds of
    rows a second. The template object is in the key, so a reloaded template makes a new module;
    `locale` is the one `_labels()` translates into."""
    return template.make_module(_labels())


def _row_html(request: Request, row: WarningRow) -> str:
    module = _row_module(jinja_template(request, "warnings/_row.html"), i18n.current_locale.get())
    return str(module.warning_row(row, _can_act(current_user(request), row)))


def _can_act(user: CurrentUser, row: WarningRow) -> bool:
    return rules.can_act(user.role, user.scope, row.as_mapping())


async def _board_events(
    request: Request, user: CurrentUser, last: int, stay: bool = True
) -> AsyncIterator[bytes]:
    """Missed events first (from the database, looking LOOKBACK back for events committed out of
    id order), then this process's feed (campaign.warnings.feed) until STREAM_SECONDS, in
    batches; a keep-alive after a quiet HEARTBEAT_SECONDS."""
    ends = time.monotonic() + (STREAM_SECONDS if stay else 0)
    yield ServerSentEventMessage(comment="board", retry=2000).encode()
    since = dt.datetime.now(dt.UTC) - LOOKBACK
    if not stay:
        events = await queries.events_after(user.scope, last, since)
        yield b"".join([_encoded(request, user, e) async for e in _entries(events)])
        return
    async with feed.attached() as hub:
        cursor = hub.position()
        events = await queries.events_after(user.scope, last, since)
        replayed = {event["id"] for event in events}  # the feed may bring these again
        yield b"".join([_encoded(request, user, e) async for e in _entries(events)])
        last = max([last, *replayed])
        kind = (user.role, user.scope, i18n.current_locale.get())
        audience = feed.audience_of(user.scope, user.is_admin)
        while (remaining := ends - time.monotonic()) > 0:
            entries = await hub.wait(cursor, min(HEARTBEAT_SECONDS, remaining), audience)
            if entries is None:  # this board fell out of the feed's ring: read what it missed
                cursor = hub.position()
                events = await queries.events_after(user.scope, last)
                yield b"".join([_encoded(request, user, e) async for e in _entries(events)])
                last = max([last, *(event["id"] for event in events)])
                continue
            if not entries:  # nothing for this board since its cursor
                cursor = hub.position()
                yield ServerSentEventMessage(comment="keep-alive").encode()
                continue
            cursor = entries[-1].seq + 1
            last = max(last, hub.top(entries))
            if replayed and not replayed.isdisjoint(e.event["id"] for e in entries):
                entries = [e for e in entries if e.event["id"] not in replayed]
                data = b"".join(_encoded(request, user, entry) for entry in entries)
            else:
                data = hub.chunk(kind, entries, lambda e: _encoded(request, user, e))
            if data:
                yield data


async def _entries(events: list[dict]) -> AsyncIterator[feed.Entry]:
    """Board events read from the database, with their warnings (one query)."""
    rows = await queries.warnings_by_ids({event["warning_id"] for event in events})
    for event in events:
        yield feed.Entry(-1, event, rows.get(event["warning_id"]))


#: A row rendered once per (event, may act, language): the row's only per-person parts.
_recent_html: OrderedDict[tuple, str] = OrderedDict()
RECENT_ROWS = 1024


def _encoded(request: Request, user: CurrentUser, entry: feed.Entry) -> bytes:
    """The row to show for an event, a removal for the station a warning was re-routed away
    from, or nothing for events outside this board's jurisdiction."""
    event, row = entry.event, entry.row
    if user.is_admin or rules.in_scope(user.scope, event):
        if row is None:
            return b""
        key = (event["id"], row.id, _can_act(user, row), i18n.current_locale.get())
        html = _recent_html.get(key)
        if html is None:
            html = _recent_html[key] = _row_html(request, row)
            while len(_recent_html) > RECENT_ROWS:
                _recent_html.popitem(last=False)
        return ServerSentEventMessage(data=html, event=event["kind"], id=event["id"]).encode()
    if user.scope.kind == "station" and event.get("previous_station_code") == user.scope.code:
        message = ServerSentEventMessage(
            data=str(event["warning_id"]), event="remove", id=event["id"]
        )
        return message.encode()
    return b""


class WarningController(Controller):
    path = "/warnings"
    opt = {"roles": READERS}
    include_in_schema = False

    @get("/")
    async def board(self, request: Request) -> object:
        user = current_user(request)
        filters = _filters(request)
        if wants_xlsx(request):
            return _export(await queries.board(user.scope, filters, limit=EXPORT_MAX))
        counts = await queries.open_counts(user.scope)
        only_open = filters.get("status") == "open" and not any(
            value for key, value in filters.items() if key != "status"
        )  # the default view: its count is in the header's already
        total = (
            counts["open"]
            if only_open
            else await queries.board_count(user.scope, filters, COUNT_CAP)
        )
        p = pager(request, total, cap=None if only_open else COUNT_CAP)
        return render(
            request,
            "warnings/board.html",
            "warnings/_rows.html",
            warnings=await queries.board(user.scope, filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            counts=counts,
            last_event=await queries.last_event_id(),
            station_choice=await regions.chosen("station", filters.get("station")),
            active_nav="warnings",
            **_labels(),
        )

    @get("/stream")
    async def stream(self, request: Request, after: FromQuery[int] = 0) -> Stream:
        """The board's live feed; a reconnecting browser resumes from its Last-Event-ID."""
        user = current_user(request)
        header = request.headers.get("last-event-id", "")
        last = int(header) if header.isdigit() else max(after, 0)
        # A browser's EventSource asks for text/event-stream and stays; anything else (a script,
        # a crawler, a test) gets what it missed and the stream ends.
        stay = "text/event-stream" in request.headers.get("accept", "")
        return Stream(
            _board_events(request, user, last, stay),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @get("/{warning_id:int}")
    async def detail(self, request: Request, warning_id: FromPath[int]) -> Template:
        user = current_user(request)
        return await self._detail(request, user, await _readable(user, warning_id))

    async def _detail(
        self, request: Request, user: CurrentUser, row: WarningRow, status: int = 200, **extra
    ) -> Template:
        rerouting = extra.get("values", {}) if extra.get("form") == "reroute" else {}
        station = rerouting.get("station", row.station_code)
        return Template(
            media_type=MediaType.HTML,
            template_name="warnings/detail.html",
            context={
                "w": row,
                "attempts": await queries.attempts_of(row.id),
                "can_act": _can_act(user, row),
                "is_centre": rules.is_centre(user.role),
                # a picker (GET /pick/station): a province has thousands of stations
                "reroute_choice": await regions.chosen("station", station)
                if rules.is_centre(user.role)
                else None,
                "targets": (await queries.targets())[row.risk_level],
                "errors": extra.pop("errors", {}),
                "values": extra.pop("values", {}),
                "form": extra.pop("form", ""),
                "active_nav": "warnings",
                **_labels(),
                **extra,
            },
            status_code=status,
        )

    async def _done(self, request: Request, row: WarningRow, message: str) -> object:
        if request.headers.get("hx-request"):
            fresh = await queries.warning(row.id)
            assert fresh is not None
            return Response(_row_html(request, fresh), media_type="text/html", status_code=200)
        flash(request, message, "success")
        return Redirect(path=f"/warnings/{row.id}", status_code=303)

    async def _refused(self, request: Request, row: WarningRow, refused: queries.Refused):
        if request.headers.get("hx-request"):
            return Response(str(refused), status_code=409, media_type="text/plain")
        flash(request, str(refused), "error")
        return Redirect(path=f"/warnings/{row.id}", status_code=303)

    @post("/{warning_id:int}/acknowledge", opt={"roles": ACTORS})
    async def acknowledge(self, request: Request, warning_id: FromPath[int]) -> object:
        user = current_user(request)
        row = await _actionable(user, warning_id)
        try:
            await queries.acknowledge(row.id, user, client_ip(request))
        except queries.Refused as refused:
            return await self._refused(request, row, refused)
        return await self._done(request, row, _("已签收"))

    @post("/{warning_id:int}/attempts", opt={"roles": ACTORS})
    async def attempt(self, request: Request, warning_id: FromPath[int]) -> object:
        user = current_user(request)
        row = await _actionable(user, warning_id)
        values = form_values(await request.form(), forms.ATTEMPT_KEYS)
        attempt, errors = forms.parse_attempt(values, dt.datetime.now(dt.UTC))
        if errors or attempt is None:
            return await self._detail(
                request, user, row, 400, errors=errors, values=values, form="attempt"
            )
        try:
            await queries.record_attempt(
                row.id,
                attempt.method,
                attempt.by_name,
                attempt.reached,
                attempt.result,
                attempt.at,
                user,
                client_ip(request),
            )
        except queries.Refused as refused:
            return await self._refused(request, row, refused)
        return await self._done(request, row, _("已记录联系情况"))

    @post("/{warning_id:int}/team", opt={"roles": ACTORS})
    async def team(self, request: Request, warning_id: FromPath[int]) -> object:
        user = current_user(request)
        row = await _actionable(user, warning_id)
        values = form_values(await request.form(), forms.TEAM_KEYS)
        team, errors = forms.parse_team(values)
        if errors or team is None:
            return await self._detail(
                request, user, row, 400, errors=errors, values=values, form="team"
            )
        await queries.set_team(row.id, team, user, client_ip(request))
        return await self._done(request, row, _("已保存处置力量"))

    @post("/{warning_id:int}/close", opt={"roles": ACTORS})
    async def close(self, request: Request, warning_id: FromPath[int]) -> object:
        user = current_user(request)
        row = await _actionable(user, warning_id)
        values = form_values(await request.form(), forms.CLOSE_KEYS)
        closing, errors = rules.check_closing(
            values["method"], values["outcome"], values["amount"], values["notes"]
        )
        if errors or closing is None:
            return await self._detail(
                request, user, row, 400, errors=errors, values=values, form="close"
            )
        try:
            await queries.close(row.id, closing, user, client_ip(request))
        except queries.Refused as refused:
            return await self._refused(request, row, refused)
        return await self._done(request, row, _("预警已办结"))

    @post("/{warning_id:int}/reopen", opt={"roles": (ADMIN,)})
    async def reopen(self, request: Request, warning_id: FromPath[int]) -> object:
        user = current_user(request)
        row = await _readable(user, warning_id)
        values = form_values(await request.form(), ("reason",))
        reason, errors = forms.parse_reason(values)
        if errors or reason is None:
            return await self._detail(
                request, user, row, 400, errors=errors, values=values, form="reopen"
            )
        try:
            await queries.reopen(row.id, reason, user, client_ip(request))
        except queries.Refused as refused:
            return await self._refused(request, row, refused)
        return await self._done(request, row, _("预警已重新打开"))

    @post("/{warning_id:int}/reroute", opt={"roles": (ADMIN,)})
    async def reroute(self, request: Request, warning_id: FromPath[int]) -> object:
        user = current_user(request)
        row = await _readable(user, warning_id)
        values = form_values(await request.form(), ("station", "reason"))
        reason, errors = forms.parse_reason(values)
        if not values["station"]:
            errors["station"] = _("请选择派出所")
        if errors or reason is None:
            return await self._detail(
                request, user, row, 400, errors=errors, values=values, form="reroute"
            )
        try:
            await queries.reroute(row.id, values["station"], reason, user, client_ip(request))
        except queries.Refused as refused:
            return await self._detail(
                request,
                user,
                row,
                400,
                errors={"station": str(refused)},
                values=values,
                form="reroute",
            )
        return await self._done(request, row, _("预警已改派"))

    @get("/figures")
    async def figures(self, request: Request) -> object:
        user = current_user(request)
        level = request.query_params.get("level", "station")
        if level not in ("station", "town", "district"):
            level = "station"
        start, end = _period(request)
        units = await queries.units_in(user.scope, level)
        codes = [u.code for u in units]
        figures = await queries.warning_figures(level, start, end, codes)
        overdue = (
            await queries.overdue_by_station(user.scope, start, end) if level == "station" else {}
        )
        total = rules.figures_of(await queries.scope_facts(user.scope, start, end)).get(
            "total", rules.WarningFigures()
        )
        rows = [
            (u, figures.get(u.code, rules.WarningFigures()), overdue.get(u.code, 0)) for u in units
        ]
        rows.sort(key=lambda r: (-r[1].warnings, r[0].code))
        if wants_xlsx(request):
            return _figures_export(rows, total, start, end)
        trend = await queries.daily_trend(user.scope, start, end)
        return Template(
            media_type=MediaType.HTML,
            template_name="warnings/figures.html",
            context={
                "level": level,
                "start": start,
                "end": end,
                "rows": rows,
                "total": total,
                "trend": [
                    [d.day.isoformat(), d.warnings, d.dissuaded, d.stopped_fen / 100] for d in trend
                ],
                "active_nav": "warnings",
                **_labels(),
            },
        )


def _day(raw: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return default


def _period(request: Request) -> tuple[dt.date, dt.date]:
    """The figures' period: ?from=&to=, by default the last 30 days."""
    end = _day(request.query_params.get("to", ""), today())
    start = _day(request.query_params.get("from", ""), end - dt.timedelta(days=29))
    return (start, end) if start <= end else (end, start)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _export(rows: list[WarningRow]) -> Response:
    return xlsx_response(
        _("预警列表"),
        [
            _("预警编号"),
            _("下发时间"),
            _("风险等级"),
            _("手机号(脱敏)"),
            _("地点"),
            _("派出所"),
            _("诈骗类型"),
            _("涉险金额(元)"),
            _("状态"),
            _("签收时间"),
            _("首次联系"),
            _("办结时间"),
            _("劝阻结果"),
            _("止付金额(元)"),
            _("劝阻失败(案件)"),
        ],
        (
            [
                r.warning_no,
                local(r.issued_at).strftime("%Y-%m-%d %H:%M"),
                str(rules.RISK_LEVELS[r.risk_level]),
                r.phone_masked,
                r.place_name or r.address,
                r.station_name or _("待分派"),
                r.fraud_type,
                None if r.amount_fen is None else r.amount_fen / 100,
                str(rules.STATUSES[r.status]),
                *(
                    local(t).strftime("%Y-%m-%d %H:%M") if t else ""
                    for t in (r.acknowledged_at, r.first_contact_at, r.closed_at)
                ),
                str(rules.OUTCOMES[r.outcome]) if r.outcome else "",
                r.amount_stopped_fen / 100,
                r.failed_case_no or "",
            ]
            for r in rows
        ),
    )


def _figures_export(rows: list, total: rules.WarningFigures, start: dt.date, end: dt.date):
    def line(name: str, code: str, f: rules.WarningFigures, overdue: int | str) -> list:
        return [
            name,
            code,
            f.warnings,
            f.dissuaded,
            f.stopped_fen / 100,
            f.defrauded,
            f.unreachable,
            f.failed,
            None if f.failed_rate is None else round(f.failed_rate, 4),
            _minutes(f.acknowledge_median),
            _minutes(f.acknowledge_p90),
            _minutes(f.contact_median),
            _minutes(f.contact_p90),
            overdue,
        ]

    return xlsx_response(
        _("预警劝阻统计 %(a)s 至 %(b)s", a=start.isoformat(), b=end.isoformat()),
        [
            _("单位"),
            _("代码"),
            _("预警数"),
            _("劝阻人次"),
            _("止付金额(元)"),
            _("已被骗"),
            _("无法联系"),
            _("劝阻失败"),
            _("劝阻失败率"),
            _("签收中位(分)"),
            _("签收P90(分)"),
            _("联系中位(分)"),
            _("联系P90(分)"),
            _("超时"),
        ],
        [
            *(line(u.name, u.code, f, o) for u, f, o in rows),
            line(_("合计"), "", total, ""),
        ],
    )


# -- The upload page -----------------------------------------------------------------------------

EXAMPLE_ROWS = (
    (
        "YJ20260709001",
        "2026-07-09 14:30",
        "高",
        "13812345678",
        "330282005002",
        "",
        "",
        "刷单返利",
        "50000",
        "涉诈电话",
    ),
    (
        "YJ20260709002",
        "2026-07-09 14:32",
        "中",
        "13900001111",
        "330282108",
        "附海镇某村",
        "",
        "投资理财",
        "",
        "APP",
    ),
)


class WarningImportController(Controller):
    path = "/warnings/import"
    opt = {"roles": (ADMIN,)}
    include_in_schema = False

    def _page(self, values: dict, status: int = 200, **extra) -> Template:
        return Template(
            media_type=MediaType.HTML,
            template_name="warnings/import.html",
            context={
                "values": values,
                "errors": extra.pop("errors", {}),
                "columns": rules.WARNING_COLUMNS,
                "examples": EXAMPLE_ROWS,
                "active_nav": "warnings",
                **extra,
            },
            status_code=status,
        )

    @get("/")
    async def page(self) -> Template:
        purge_stale_uploads()
        return self._page({"dry_run": True})

    @post("/", request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(self, request: Request) -> Template:
        purge_stale_uploads()
        dry_run, upload, errors = import_upload(await request.form())
        values = {"dry_run": dry_run}
        if upload is None:
            return self._page(values, 400, errors=errors)
        return await self._import(
            request, values, upload_filename(upload.filename), await upload.read()
        )

    @post("/confirm")
    async def confirm(self, request: Request) -> Template:
        filename, data, errors = confirmed_upload(await request.form())
        if data is None:
            return self._page({"dry_run": True}, 400, errors=errors)
        return await self._import(request, {"dry_run": False}, filename, data)

    async def _import(self, request: Request, values: dict, filename: str, data: bytes) -> Template:
        try:
            summary = await imports.import_file(
                "warnings",
                filename,
                data,
                dry_run=values["dry_run"],
                actor=current_user(request),
                ip=client_ip(request),
            )
        except ImportRejected as rejected:
            return self._page(values, 400, rejected=rejected, filename=filename)
        pending = values["dry_run"] and bool(summary.added)
        return self._page(
            values, summary=summary, filename=filename, token=keep_upload(data) if pending else None
        )

    @get("/template.csv")
    async def template(self) -> Response:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([column.label for column in rules.WARNING_COLUMNS])
        writer.writerows(EXAMPLE_ROWS)
        return Response(
            content=("\ufeff" + buffer.getvalue()).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="warnings-template.csv"'},
        )


# -- The API -------------------------------------------------------------------------------------


def _problem(status: int, detail: str, errors: list | None = None) -> Response:
    body: dict = {"status_code": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status)


class WarningApiController(Controller):
    path = "/api/v1/warnings"
    tags = ["warnings"]

    @post("/", opt={"roles": ACTORS})
    async def push(self, request: Request) -> Response:
        """Push one warning (a JSON object) or a batch (a list, or {"warnings": [...]}, at most
        1,000) from the platform. Fields: warning_id, issued_at, risk_level (高/中/低 or
        high/medium/low), phone, region_code, address, station_code, fraud_type, amount_yuan,
        channel. All or nothing: 422 lists every bad item, 409 every conflicting one (same
        warning_id, different content). A replay answers with what is stored (200), never a
        duplicate; 201 when something was new. Phones come back masked only."""
        user = current_user(request)
        try:
            body = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError):
            return _problem(400, _("请求体不是有效的 JSON"))
        try:
            rows, created = await imports.receive(body, user, client_ip(request))
        except ImportRejected as rejected:
            errors = [
                {"item": e.row or None, "field": e.column or None, "reason": e.reason}
                for e in rejected.errors
            ]
            if isinstance(rejected, imports.Conflicting):
                return _problem(409, _("预警编号已存在且内容不同,整批未写入"), errors)
            if isinstance(rejected, imports.OutsideJurisdiction):
                return _problem(403, _("预警不在你的辖区范围内,整批未写入"), errors)
            return _problem(422, _("有 %(n)s 处问题,整批未写入", n=len(errors)), errors)
        return Response(
            {
                "created": created,
                "replayed": len(rows) - created,
                "items": [row.api() for row in rows],
            },
            status_code=201 if created else 200,
        )

    @get("/", opt={"roles": READERS})
    async def list_(
        self, request: Request, status: FromQuery[str] = "open", limit: FromQuery[int] = 100
    ) -> dict:
        """Warnings in the caller's jurisdiction, newest first (status: open, new, acknowledged,
        contacted, closed or all; limit at most 1,000). Phones are masked."""
        user = current_user(request)
        filters = {"status": "" if status == "all" else status}
        rows = await queries.board(user.scope, filters, 0, min(max(limit, 1), 1000))
        return {"items": [row.api() for row in rows]}

    @get("/{warning_id:int}", opt={"roles": READERS})
    async def one(self, request: Request, warning_id: FromPath[int]) -> dict:
        """One warning with its response clock."""
        row = await _readable(current_user(request), warning_id)
        return {
            **row.api(),
            "acknowledged_at": row.acknowledged_at and local(row.acknowledged_at).isoformat(),
            "first_contact_at": row.first_contact_at and local(row.first_contact_at).isoformat(),
            "closed_at": row.closed_at and local(row.closed_at).isoformat(),
            "failed_case_no": row.failed_case_no,
        }
