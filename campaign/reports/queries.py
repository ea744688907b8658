"""Reading and writing bulletins, reporting areas and prevention reminders.

Cases are read through campaign.cases.queries, towns through campaign.regions.queries and warned
people through campaign.warnings.queries."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from piccolo.query.functions.aggregate import Max

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser, Scope
from campaign.cases import queries as cases
from campaign.db import read_transaction
from campaign.regions import queries as regions
from campaign.reports import public, rules
from campaign.reports.rules import Week
from campaign.reports.tables import AreaTown, Bulletin, Reminder, ReportingArea
from campaign.rows import Row
from campaign.warnings import queries as warnings

DRAFT = 0


# -- Warned people (the warnings module) ---------------------------------------------------------


async def warned_people_by_town(start: dt.date, end: dt.date) -> dict[str, int]:
    """Distinct people warned per town in [start, end] (the warnings module), for the share of
    potential victims per 10,000 residents."""
    return await warnings.warned_people_by_town(start, end)


# -- Reporting areas -----------------------------------------------------------------------------


async def towns() -> list[regions.TownInfo]:
    return await regions.town_directory()


async def reporting_areas(town_list: Sequence[regions.TownInfo] | None = None) -> list[rules.Area]:
    """The areas defined by an admin, else one area per district (all its towns)."""
    town_list = town_list if town_list is not None else await towns()
    stored = await ReportingArea.select().order_by(ReportingArea.sort_order)
    if not stored:
        districts = await regions.districts_in(Scope())
        return rules.default_areas(
            [(d["code"], d["name"]) for d in districts],
            {t.code: t.district_code for t in town_list},
        )
    members: dict[str, set[str]] = {}
    for row in await AreaTown.select(AreaTown.area_code, AreaTown.town_code):
        members.setdefault(row["area_code"], set()).add(row["town_code"])
    return [
        rules.Area(a["code"], a["name"], frozenset(members.get(a["code"], ())), a["sort_order"])
        for a in stored
    ]


async def district_names() -> dict[str, str]:
    return {d["code"]: d["name"] for d in await regions.districts_in(Scope())}


async def areas_are_default() -> bool:
    return not await ReportingArea.exists()


async def area_assignment() -> list[tuple[str, str]]:
    """(area name, town code) for every town as the bulletin currently reports it."""
    pairs = []
    for area in await reporting_areas():
        pairs += [(area.name, town) for town in sorted(area.towns)]
    return pairs


def _area_codes(names: Sequence[str], districts: dict[str, str]) -> dict[str, str]:
    """An area named like a district keeps the district's code; others get "Z1", "Z2" …"""
    by_name = {name: code for code, name in districts.items()}
    codes, n = {}, 0
    for name in names:
        if name in by_name:
            codes[name] = by_name[name]
        else:
            n += 1
            codes[name] = f"Z{n}"
    return codes


async def save_areas(
    assignment: Sequence[tuple[str, str]], actor: CurrentUser | None, ip: str | None = None
) -> list[rules.AreaProblem]:
    """Replace the whole area definition; nothing is written when any town is left out, named
    twice or unknown (the problems are returned)."""
    town_list = await towns()
    problems = rules.check_areas(assignment, {t.code: t.name for t in town_list})
    if problems:
        return problems
    grouped = rules.areas_from_assignment(assignment)
    districts = {d["code"]: d["name"] for d in await regions.districts_in(Scope())}
    codes = _area_codes(list(grouped), districts)
    async with audited(actor, ip) as audit:
        await AreaTown.delete(force=True)
        await ReportingArea.delete(force=True)
        await ReportingArea.insert(
            *(ReportingArea(code=codes[n], name=n, sort_order=i) for i, n in enumerate(grouped))
        )
        await AreaTown.insert(
            *(
                AreaTown(area_code=codes[n], town_code=t)
                for n, towns_of in grouped.items()
                for t in sorted(towns_of)
            )
        )
        await audit.record("bulletin.areas", "reports", f"片区定义:{len(grouped)} 个片区")
    return []


async def reset_areas(actor: CurrentUser | None, ip: str | None = None) -> None:
    """Back to the default: one area per district."""
    async with audited(actor, ip) as audit:
        await AreaTown.delete(force=True)
        await ReportingArea.delete(force=True)
        await audit.record("bulletin.areas", "reports", "片区恢复为按区县")


# -- Computing a week ----------------------------------------------------------------------------


def _week(totals: cases.WeeklyTotals, index: int) -> dict[str, rules.TownWeek]:
    """One week of the totals: {unit: TownWeek} for the units with a case that week."""
    return {
        code: rules.TownWeek(n[index], totals.loss_fen[code][index])
        for code, n in totals.cases.items()
        if n[index]
    }


async def _warned_by(unit: str, week: Week) -> dict[str, int]:
    """People warned in the week per town, or summed per district."""
    warned = await warned_people_by_town(week.start, week.end)
    if unit == "town":
        return warned
    district_of = await regions.districts_of_towns(warned)
    by_district: dict[str, int] = {}
    for town, people in warned.items():
        if town in district_of:
            by_district[district_of[town]] = by_district.get(district_of[town], 0) + people
    return by_district


async def _hot_towns(week: Week) -> list[tuple[str, str, rules.TownWeek]]:
    hot = await cases.top_towns(week.start, week.end, rules.HOT_TOWNS)
    district_of = await regions.districts_of_towns([code for code, _, _ in hot])
    return [(code, district_of.get(code, ""), rules.TownWeek(n, fen)) for code, n, fen in hot]


@dataclass(frozen=True, slots=True)
class _Setting:
    population: dict[str, int]
    district_of: dict[str, str]
    first_day: dt.date | None
    type_order: list[str]
    occupation_order: list[str]


async def _setting(unit: str, districts: Sequence[regions.Unit]) -> _Setting:
    """What a week is computed against besides the cases: residents, the lists' order."""
    async with read_transaction():
        if unit == "district":
            population = await regions.district_populations()
            district_of = {d["code"]: d["code"] for d in districts}
        else:
            town_list = await towns()
            population = {t.code: t.population for t in town_list if t.population}
            district_of = {t.code: t.district_code for t in town_list}
        first_day = await cases.tracked_since() or await cases.earliest_case_day()
        return _Setting(
            population,
            district_of,
            first_day,
            await cases.fraud_type_names(),
            await cases.occupation_group_names(),
        )


async def week_input(week: Week, unit: str, districts: Sequence[regions.Unit]) -> rules.WeekInput:
    """Everything a week's bulletin is computed from: grouped reads of the day-keyed case index
    per district (`unit` "district", the default areas) or per town, never the cases' rows — 12
    weeks of totals, the week a year earlier, two weeks by type, group and age, the hot towns.
    The reads run at once on separate connections (PostgreSQL uses both cores); a case import
    landing between them is caught by the revision that follows every import."""
    first = week.shifted(1 - rules.TREND_WEEKS)
    weeks, year_ago, (before, this), hot, setting, warned = await asyncio.gather(
        cases.weekly_totals(unit, first.start, rules.TREND_WEEKS, parts=2),
        cases.weekly_totals(unit, week.year_earlier.start, 1),
        cases.week_breakdowns(week.previous.start, 2),
        _hot_towns(week),
        _setting(unit, districts),
        _warned_by(unit, week),
    )
    return rules.WeekInput(
        week=week,
        units=_week(weeks, -1),
        previous_units=_week(weeks, -2),
        last_year_units=_week(year_ago, 0),
        trend=weeks.cases,
        hot_towns=hot,
        types=this.types,
        previous_types=before.types,
        occupations=this.occupations,
        previous_occupations=before.occupations,
        ages=this.ages,
        warned=warned,
        population=setting.population,
        town_names=await regions.names_of([code for code, _, _ in hot]),
        district_of=setting.district_of,
        district_names={d["code"]: d["name"] for d in districts},
        type_order=setting.type_order,
        occupation_order=setting.occupation_order,
        has_previous_data=setting.first_day is not None and setting.first_day <= week.previous.end,
    )


async def compute_figures(week: Week) -> dict:
    """The figures of a week from the data as it stands (nothing stored). With the default
    areas each area is its district, summed by the database."""
    districts = await regions.districts_in(Scope())
    if await areas_are_default():
        areas = [
            rules.Area(d["code"], d["name"], frozenset({d["code"]}), i)
            for i, d in enumerate(districts)
        ]
        return rules.compute_figures(await week_input(week, "district", districts), areas)
    data = await week_input(week, "town", districts)
    return rules.compute_figures(data, await reporting_areas())


# -- Bulletins -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulletinView:
    """A bulletin as pages and the API show it: stored (draft or a published revision) or
    computed on demand (`stored` False)."""

    week_key: str
    revision: int
    status: str
    figures: dict
    narrative: str
    reminder: str
    changes: list = field(default_factory=list)
    computed_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    published_by: str = ""
    stored: bool = True

    @property
    def published(self) -> bool:
        return self.status == "published"


def _view(row: dict) -> BulletinView:
    return BulletinView(
        week_key=row["week_key"],
        revision=row["revision"],
        status=row["status"],
        figures=row.get("figures") or {},
        narrative=row["narrative"],
        reminder=row["reminder"],
        changes=row["changes"] or [],
        computed_at=row["computed_at"],
        published_at=row["published_at"],
        published_by=row["published_by"],
    )


async def active_reminders() -> list[rules.Reminder]:
    rows = (
        await Reminder.select()
        .where(Reminder.active == True)  # noqa: E712
        .order_by(Reminder.sort_order, Reminder.id)
    )
    return [
        rules.Reminder(
            r["id"],
            r["text"],
            r["fraud_type"],
            r["occupation_group"],
            rules.parse_months(r["months"]),
        )
        for r in rows
    ]


async def fresh_draft(week: Week) -> BulletinView:
    """A draft computed now, not stored: generated text and the best-fitting reminder."""
    figures = await compute_figures(week)
    reminder = rules.reminder_for(figures, await active_reminders())
    return BulletinView(
        week_key=week.key,
        revision=DRAFT,
        status="draft",
        figures=figures,
        narrative=rules.narrative(figures),
        reminder=reminder.text if reminder else "",
        computed_at=dt.datetime.now(dt.UTC),
        stored=False,
    )


async def latest_published(week_key: str, figures: bool = True) -> BulletinView | None:
    """The week's latest published revision; without its figures (large at national scale) when
    the caller has them drawn already."""
    columns = [] if figures else [c for c in Bulletin._meta.columns if c is not Bulletin.figures]
    row = (
        await Bulletin.select(*columns)
        .where(Bulletin.week_key == week_key, Bulletin.status == "published")
        .order_by(Bulletin.revision, ascending=False)
        .output(load_json=True)
        .first()
    )
    return _view(row) if row else None


async def stored_draft(week_key: str) -> BulletinView | None:
    row = (
        await Bulletin.select()
        .where(Bulletin.week_key == week_key, Bulletin.revision == DRAFT)
        .output(load_json=True)
        .first()
    )
    return _view(row) if row else None


@dataclass(frozen=True, slots=True)
class RevisionRow:
    revision: int
    published_at: dt.datetime | None
    published_by: str


async def revisions(week_key: str) -> list[RevisionRow]:
    """The published revisions of a week, newest first (without their figures)."""
    rows = (
        await Bulletin.select(Bulletin.revision, Bulletin.published_at, Bulletin.published_by)
        .where(Bulletin.week_key == week_key, Bulletin.status == "published")
        .order_by(Bulletin.revision, ascending=False)
    )
    return [RevisionRow(r["revision"], r["published_at"], r["published_by"]) for r in rows]


async def bulletin_for(week: Week, include_draft: bool) -> BulletinView | None:
    """The latest published revision; else (for those who may see drafts) the stored draft or
    one computed on demand."""
    if published := await latest_published(week.key):
        return published
    if not include_draft:
        return None
    return await stored_draft(week.key) or await fresh_draft(week)


async def _store_draft(view: BulletinView) -> None:
    """Keep a computed draft as the week's revision 0 (replacing an older draft)."""
    await Bulletin.delete().where(Bulletin.week_key == view.week_key, Bulletin.revision == DRAFT)
    await Bulletin.insert(
        Bulletin(
            week_key=view.week_key,
            revision=DRAFT,
            status="draft",
            figures=view.figures,
            narrative=view.narrative,
            reminder=view.reminder,
            changes=[],
            computed_at=view.computed_at or dt.datetime.now(dt.UTC),
        )
    )


async def draft_week(week: Week, actor: CurrentUser | None, ip: str | None = None) -> BulletinView:
    """Compute the week now and keep it as the draft (an edited text is replaced)."""
    view = await fresh_draft(week)
    async with audited(actor, ip) as audit:
        await _store_draft(view)
        await audit.record(
            "bulletin.draft", week.key, f"生成 {week.key} 反诈地图草稿:{view.figures['cases']} 起"
        )
    return await stored_draft(week.key) or view


async def save_text(
    week: Week, narrative: str, reminder: str, actor: CurrentUser, ip: str | None = None
) -> None:
    """The editor's wording of the draft (the figures stay as computed)."""
    draft = await stored_draft(week.key) or await fresh_draft(week)
    async with audited(actor, ip) as audit:
        if not draft.stored:
            await _store_draft(draft)
        await Bulletin.update({Bulletin.narrative: narrative, Bulletin.reminder: reminder}).where(
            Bulletin.week_key == week.key, Bulletin.revision == DRAFT
        )
        await audit.record("bulletin.text", week.key, "修改反诈地图文字")


async def _next_revision(week_key: str) -> int:
    row = (
        await Bulletin.select(Max(Bulletin.revision, alias="r"))
        .where(Bulletin.week_key == week_key)
        .first()
    )
    return int((row or {}).get("r") or 0) + 1


async def publish(week: Week, actor: CurrentUser | None, ip: str | None = None) -> BulletinView:
    """Freeze the draft (stored, else computed now) as the next published revision."""
    draft = await stored_draft(week.key) or await fresh_draft(week)
    previous = await latest_published(week.key)
    async with audited(actor, ip) as audit:
        revision = await _next_revision(week.key)
        changes = rules.revision_changes(previous.figures, draft.figures) if previous else []
        await Bulletin.insert(
            Bulletin(
                week_key=week.key,
                revision=revision,
                status="published",
                figures=draft.figures,
                narrative=draft.narrative,
                reminder=draft.reminder,
                changes=changes,
                computed_at=draft.computed_at or dt.datetime.now(dt.UTC),
                published_at=dt.datetime.now(dt.UTC),
                published_by=actor.display_name if actor else "system",
            )
        )
        await Bulletin.delete().where(Bulletin.week_key == week.key, Bulletin.revision == DRAFT)
        await audit.record(
            "bulletin.publish", week.key, f"发布 {week.key} 反诈地图(第 {revision} 版)"
        )
    await public.forget()
    published = await latest_published(week.key)
    assert published is not None
    return published


async def revise_if_changed(week: Week) -> BulletinView | None:
    """When the data behind a published week changed (a later import), publish the recomputed
    figures as a new revision with what changed; None when nothing changed or nothing published."""
    current = await latest_published(week.key)
    if current is None:
        return None
    figures = await compute_figures(week)
    if not rules.figures_differ(current.figures, figures):
        return None
    reminder = rules.reminder_for(figures, await active_reminders())
    async with audited(None) as audit:
        revision = await _next_revision(week.key)
        await Bulletin.insert(
            Bulletin(
                week_key=week.key,
                revision=revision,
                status="published",
                figures=figures,
                narrative=rules.narrative(figures),
                reminder=reminder.text if reminder else current.reminder,
                changes=rules.revision_changes(current.figures, figures),
                computed_at=dt.datetime.now(dt.UTC),
                published_at=dt.datetime.now(dt.UTC),
                published_by="system",
            )
        )
        await audit.record("bulletin.revise", week.key, f"{week.key} 数据有变,生成第 {revision} 版")
    await public.forget()
    return await latest_published(week.key)


@dataclass(frozen=True, slots=True)
class ArchiveRow:
    week_key: str
    revision: int
    status: str
    cases: int
    loss_fen: int
    label: str
    published_at: dt.datetime | None


def _archive_where(include_drafts: bool, year: str | None):
    where = [] if include_drafts else [Bulletin.status == "published"]
    if year:
        where.append(Bulletin.week_key.like(f"{year}-W%"))
    return where


async def archive(include_drafts: bool, year: str | None = None) -> list[ArchiveRow]:
    """One row per week (its latest revision, or its draft when nothing is published), newest
    week first."""
    rows = (
        await Bulletin.select(
            Bulletin.week_key,
            Bulletin.revision,
            Bulletin.status,
            Bulletin.figures,
            Bulletin.published_at,
        )
        .where(*_archive_where(include_drafts, year))
        .output(load_json=True)
    )
    best: dict[str, dict] = {}
    for row in rows:
        kept = best.get(row["week_key"])
        if kept is None or (row["status"] == "published", row["revision"]) > (
            kept["status"] == "published",
            kept["revision"],
        ):
            best[row["week_key"]] = row
    return [
        ArchiveRow(
            r["week_key"],
            r["revision"],
            r["status"],
            r["figures"].get("cases", 0),
            r["figures"].get("loss_fen", 0),
            r["figures"].get("label", ""),
            r["published_at"],
        )
        for r in sorted(best.values(), key=lambda r: r["week_key"], reverse=True)
    ]


async def latest_public(figures: bool = True) -> BulletinView | None:
    """The most recent published week's latest revision (the public page and its QR code)."""
    row = (
        await Bulletin.select(Bulletin.week_key)
        .where(Bulletin.status == "published")
        .order_by(Bulletin.week_key, ascending=False)
        .first()
    )
    return await latest_published(row["week_key"], figures) if row else None


async def published_week_keys(limit: int) -> list[str]:
    rows = (
        await Bulletin.select(Bulletin.week_key)
        .where(Bulletin.status == "published")
        .distinct()
        .order_by(Bulletin.week_key, ascending=False)
        .limit(limit)
    )
    return [r["week_key"] for r in rows]


# -- Reminders -----------------------------------------------------------------------------------

DEFAULT_REMINDERS = (
    (
        "暑假已经开始,广大学生进入了一段较长的愉快假期,但是大家要谨记诈骗分子并没有放假,"
        "绝不可放松警惕,思想上要牢牢绷紧防骗这根弦,与被骗说“不”。如有任何疑问,随时拨打96110进行咨询确认。",
        "",
        "学生",
        "7,8",
    ),
    (
        "寒假和春节将至,不少学生在网上购买游戏装备、追星周边,凡是要求先转账、刷单返利的都是诈骗。"
        "如有任何疑问,随时拨打96110进行咨询确认。",
        "",
        "学生",
        "1,2",
    ),
    (
        "投资理财诈骗仍是损失最大的类型:凡是推荐“内幕消息”“稳赚不赔”的投资群、陌生平台,一律是诈骗。"
        "如有任何疑问,随时拨打96110进行咨询确认。",
        "投资理财",
        "",
        "",
    ),
    (
        "兼职刷单就是诈骗,所有刷单都是违法行为。不要轻信“动动手指就能赚钱”,更不要先垫付资金。"
        "如有任何疑问,随时拨打96110进行咨询确认。",
        "兼职刷单",
        "",
        "",
    ),
    (
        "自称电商、快递客服说要退款、理赔、取消会员的,务必通过官方渠道核实,"
        "不要点击陌生链接、不要开启屏幕共享。如有任何疑问,随时拨打96110进行咨询确认。",
        "冒充客服",
        "",
        "",
    ),
    (
        "诈骗分子不会放假,广大市民要牢牢绷紧防骗这根弦,下载国家反诈中心APP,遇到可疑情况"
        "随时拨打96110进行咨询确认。",
        "",
        "",
        "",
    ),
)


async def seed_reminders() -> None:
    """The default prevention reminders, added once (admins may edit them later)."""
    if not await Reminder.exists():
        await Reminder.insert(
            *(
                Reminder(text=t, fraud_type=f, occupation_group=g, months=m, sort_order=i)
                for i, (t, f, g, m) in enumerate(DEFAULT_REMINDERS)
            )
        )


@dataclass(frozen=True, slots=True)
class ReminderRow(Row):
    """A stored reminder as the admin page shows it (months as typed)."""

    id: int
    text: str
    fraud_type: str
    occupation_group: str
    months: str
    sort_order: int
    active: bool


async def reminders() -> list[ReminderRow]:
    rows = await Reminder.select().order_by(Reminder.sort_order, Reminder.id)
    return [ReminderRow(**row) for row in rows]


async def reminder(reminder_id: int) -> ReminderRow | None:
    row = await Reminder.select().where(Reminder.id == reminder_id).first()
    return ReminderRow(**row) if row else None


async def save_reminder(
    reminder_id: int | None, values: dict, actor: CurrentUser, ip: str | None = None
) -> int:
    async with audited(actor, ip) as audit:
        if reminder_id is None:
            rows = await Reminder.insert(Reminder(**values)).returning(Reminder.id)
            reminder_id = rows[0]["id"]
        else:
            await Reminder.update({getattr(Reminder, k): v for k, v in values.items()}).where(
                Reminder.id == reminder_id
            )
        await audit.record("bulletin.reminder", str(reminder_id), values.get("text", "")[:60])
    return reminder_id


async def delete_reminder(reminder_id: int, actor: CurrentUser, ip: str | None = None) -> None:
    async with audited(actor, ip) as audit:
        await Reminder.delete().where(Reminder.id == reminder_id)
        await audit.record("bulletin.reminder", str(reminder_id), "删除")


# -- Home --------------------------------------------------------------------------------------


async def home_card(user: CurrentUser) -> dict | None:
    """Admins: the newest draft waiting to be published (the Monday job's notice); leaders: the
    latest published bulletin."""
    if user.role not in ("admin", "leader"):
        return None
    latest = await latest_public()
    waiting = None
    if user.role == "admin":
        row = (
            await Bulletin.select(Bulletin.week_key, Bulletin.figures, Bulletin.computed_at)
            .where(Bulletin.revision == DRAFT)
            .order_by(Bulletin.week_key, ascending=False)
            .output(load_json=True)
            .first()
        )
        waiting = row
    if latest is None and waiting is None:
        return None
    return {"template": "reports/_home_card.html", "latest": latest, "waiting": waiting}
