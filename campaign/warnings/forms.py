"""Reading the warning forms: a contact attempt, the 1+1+1 team, closing, reopening, re-routing.
Pure: form values in, (typed values, {field: Chinese error}) out; the input is kept on error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from campaign.i18n import _
from campaign.timeutil import LOCAL
from campaign.warnings import rules

MAX_REASON = 300


@dataclass(frozen=True)
class Attempt:
    method: str
    by_name: str
    reached: bool
    result: str
    at: dt.datetime | None


ATTEMPT_KEYS = ("method", "by_name", "reached", "result", "at")


def parse_attempt(values: Mapping[str, str], now: dt.datetime) -> tuple[Attempt | None, dict]:
    errors: dict[str, str] = {}
    if values["method"] not in rules.ATTEMPT_METHODS:
        errors["method"] = _("请选择联系方式(电话、短信、上门或视频)")
    if not values["by_name"]:
        errors["by_name"] = _("请填写联系人(民警、辅警或网格员)姓名")
    elif len(values["by_name"]) > rules.MAX_NAME:
        errors["by_name"] = _("姓名不能超过 %(n)s 个字符", n=rules.MAX_NAME)
    if len(values["result"]) > 300:
        errors["result"] = _("情况说明不能超过 300 个字符")
    at = None
    if values["at"]:
        try:
            at = dt.datetime.fromisoformat(values["at"]).replace(tzinfo=LOCAL)
        except ValueError:
            errors["at"] = _("时间格式不正确")
        else:
            if at > now + rules.CLOCK_SKEW:
                errors["at"] = _("联系时间不能晚于现在")
    if errors:
        return None, errors
    return Attempt(
        values["method"], values["by_name"], values["reached"] == "1", values["result"], at
    ), {}


TEAM_KEYS = ("officer", "auxiliary", "grid_worker")


def parse_team(values: Mapping[str, str]) -> tuple[dict[str, str] | None, dict]:
    errors = {
        key: _("姓名不能超过 %(n)s 个字符", n=rules.MAX_NAME)
        for key in TEAM_KEYS
        if len(values[key]) > rules.MAX_NAME
    }
    if not errors and not any(values[key] for key in TEAM_KEYS):
        errors["officer"] = _("至少填写一名处置人员")
    return (None, errors) if errors else ({key: values[key] for key in TEAM_KEYS}, {})


CLOSE_KEYS = ("method", "outcome", "amount", "notes")


def parse_reason(values: Mapping[str, str], key: str = "reason") -> tuple[str | None, dict]:
    reason = values[key]
    if not reason:
        return None, {key: _("请填写原因(将记入审计日志)")}
    if len(reason) > MAX_REASON:
        return None, {key: _("原因不能超过 %(n)s 个字符", n=MAX_REASON)}
    return reason, {}
