"""The contest form: what each field means, and reading it back with a Chinese reason per field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from campaign.contests import rules
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.parsing import MAX_COUNT, parse_date, parse_int

LEVEL_LABELS = {"town": _l("镇街"), "station": _l("派出所"), "village": _l("村社")}
NORMALISATION_LABELS = {
    rules.MINMAX: _l("按数值比例:最好 100 分,最差 0 分"),
    rules.RANKED: _l("按名次百分位:不受极端值影响"),
}
METRIC_LABELS = {
    "cases": _l("发案数"),
    "cases_per_10k": _l("每万人发案数"),
    "change_mom": _l("环比变化"),
    "change_yoy": _l("同比变化"),
    "loss": _l("损失金额(元)"),
    "zero_days": _l("零发案天数"),
    "outreach": _l("宣传活动积分(已核实)"),
    "dissuasion": _l("预警劝阻成效"),
}
METRIC_HINTS = {
    "cases": _l("期内发案越少越好"),
    "cases_per_10k": _l("按常住人口折算,越低越好;人口未知的单位记中间分"),
    "change_mom": _l("与上一等长周期比;只有泊松检验显著(|z|≥2)的变化才计分"),
    "change_yoy": _l("与去年同期比;只有泊松检验显著(|z|≥2)的变化才计分"),
    "loss": _l("期内损失越少越好"),
    "zero_days": _l("期内没有发案的天数,越多越好"),
    "outreach": _l("已核实的宣传活动积分,越多越好"),
    "dissuasion": _l("预警劝阻成功数,越多越好"),
}
STATUS_LABELS = {"upcoming": _l("未开始"), "running": _l("进行中"), "finished": _l("已结束")}
DEFAULT_WEIGHTS = {"cases_per_10k": "40", "change_mom": "20", "zero_days": "30", "loss": "10"}


def blank(today: dt.date) -> dict:
    """A new contest's form: the current quarter, towns of the city, the usual metrics."""
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    next_quarter = dt.date(
        quarter_start.year + (quarter_start.month == 10), (quarter_start.month + 2) % 12 + 1, 1
    )
    return {
        "name": "",
        "level": "town",
        "district": "",
        "start_on": quarter_start.isoformat(),
        "end_on": (next_quarter - dt.timedelta(days=1)).isoformat(),
        "normalisation": rules.MINMAX,
        "top_n": "5",
        "metrics": {m: DEFAULT_WEIGHTS.get(m, "") for m in METRIC_LABELS},
        "used": set(DEFAULT_WEIGHTS),
    }


def from_contest(contest: rules.ContestRow) -> dict:
    """The form filled from a stored contest (for editing)."""
    weights = {m["metric"]: _number(m["weight"]) for m in contest["metrics"]}
    return {
        "name": contest["name"],
        "level": contest["level"],
        "district": contest["district_code"] or "",
        "start_on": contest["start_on"].isoformat(),
        "end_on": contest["end_on"].isoformat(),
        "normalisation": contest["normalisation"],
        "top_n": str(contest["top_n"]),
        "metrics": {m: weights.get(m, "") for m in METRIC_LABELS},
        "used": set(weights),
    }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def read(
    form: Mapping[str, Any], districts: dict[str, str], metrics: list[str]
) -> tuple[dict, dict | None, dict[str, str]]:
    """(what was typed, the contest's stored values or None, errors by field); of repeated
    fields the last counts."""
    form = dict(form.items())
    typed = {
        "name": form.get("name", "").strip(),
        "level": form.get("level", ""),
        "district": form.get("district", "").strip(),
        "start_on": form.get("start_on", "").strip(),
        "end_on": form.get("end_on", "").strip(),
        "normalisation": form.get("normalisation", rules.MINMAX),
        "top_n": form.get("top_n", "").strip(),
        "metrics": {m: form.get(f"weight_{m}", "").strip() for m in METRIC_LABELS},
        "used": {m for m in metrics if form.get(f"use_{m}")},
    }
    errors: dict[str, str] = {}
    if not typed["name"]:
        errors["name"] = _("请填写竞赛名称")
    elif len(typed["name"]) > 100:
        errors["name"] = _("竞赛名称不能超过 100 个字")
    if typed["level"] not in LEVEL_LABELS:
        errors["level"] = _("请选择参赛单位级别")
    if typed["district"] and typed["district"] not in districts:
        errors["district"] = _("未知的区县代码 %(code)s", code=typed["district"])
    start, end = _date(typed["start_on"]), _date(typed["end_on"])
    if start is None:
        errors["start_on"] = _("请填写开始日期(YYYY-MM-DD)")
    if end is None:
        errors["end_on"] = _("请填写结束日期(YYYY-MM-DD)")
    elif start is not None and end < start:
        errors["end_on"] = _("结束日期不能早于开始日期")
    if typed["normalisation"] not in rules.NORMALISATIONS:
        errors["normalisation"] = _("请选择计分方式")
    top_n = _int(typed["top_n"])
    if top_n is None or not 1 <= top_n <= 50:
        errors["top_n"] = _("红黑榜人数须为 1–50 的整数")
    weights = {}
    for metric in metrics:
        if metric not in typed["used"]:
            continue
        weight = _float(typed["metrics"][metric])
        if weight is None or weight <= 0:
            errors[f"weight_{metric}"] = _("权重须为正数")
        else:
            weights[metric] = weight
    if not typed["used"]:
        errors["metrics"] = _("请至少选择一项计分指标")
    if errors:
        return typed, None, errors
    return (
        typed,
        {
            "name": typed["name"],
            "level": typed["level"],
            "district_code": typed["district"] or None,
            "start_on": start,
            "end_on": end,
            "normalisation": typed["normalisation"],
            "top_n": top_n,
            "metrics": [{"metric": m, "weight": w} for m, w in weights.items()],
        },
        {},
    )


def _date(text: str) -> dt.date | None:
    return parse_date(text)


def _int(text: str) -> int | None:
    return parse_int(text, -MAX_COUNT, MAX_COUNT)


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None
