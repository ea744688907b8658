"""The runtime settings an administrator may change, and what a valid value is."""

from __future__ import annotations

from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.parsing import parse_date, parse_int
from campaign.timeutil import today

LEVELS = ("station", "village", "town")
DEFAULT_MILESTONES = {
    "station": (10, 30, 60, 100),
    "village": (30, 90, 180, 365),
    "town": (7, 15, 30, 60),
}
#: The warnings' response targets per risk level: minutes to 签收, minutes to 首次联系.
WARNING_TARGETS = {"high": "5,30", "medium": "30,240", "low": "240,1440"}
REVIEW_LOSS_KEY = "duties.review_loss_yuan"
KNOWN_KEYS = (
    "tracked_since",
    *(f"milestones.{level}" for level in LEVELS),
    *(f"warnings.targets.{risk}" for risk in WARNING_TARGETS),
    REVIEW_LOSS_KEY,
)
SETTING_LABELS = {
    "tracked_since": (
        _l("数据起始日"),
        _l("案件数据从这一天起完整;零发案天数从此起算。未设置时取最早案件日期。格式 YYYY-MM-DD。"),
    ),
    "milestones.station": (
        _l("派出所里程碑(天)"),
        _l("默认 10,30,60,100:如“连续十天零发案派出所”。"),
    ),
    "milestones.village": (_l("村社里程碑(天)"), _l("默认 30,90,180,365:如“连续一个月零发案村”。")),
    "milestones.town": (_l("镇街里程碑(天)"), _l("默认 7,15,30,60。")),
    "warnings.targets.high": (
        _l("高风险预警时限(分钟)"),
        _l("签收,首次联系:默认 5,30。超时的预警自动上报区县和反诈中心。"),
    ),
    "warnings.targets.medium": (_l("中风险预警时限(分钟)"), _l("签收,首次联系:默认 30,240。")),
    "warnings.targets.low": (_l("低风险预警时限(分钟)"), _l("签收,首次联系:默认 240,1440。")),
    REVIEW_LOSS_KEY: (
        _l("倒查损失阈值(元)"),
        _l("单案损失达到此金额即自动开启倒查;默认 100000。"),
    ),
}


def validate_setting(key: str, value: str) -> str:
    """The stored form of a setting value; ValueError with a Chinese reason when it is not valid."""
    value = value.strip()
    if key not in KNOWN_KEYS:
        raise ValueError(
            _("未知的设置项 %(key)s;可用:%(keys)s") % {"key": key, "keys": ", ".join(KNOWN_KEYS)}
        )
    if key == "tracked_since":
        day = parse_date(value)
        if day is None:
            raise ValueError(_("日期格式应为 YYYY-MM-DD,例如 2026-05-01"))
        if day > today():
            raise ValueError(_("数据起始日不能晚于今天"))
        return day.isoformat()
    if key.startswith("milestones."):
        parts = [p for p in value.replace("\uff0c", ",").split(",") if p.strip()]
        parsed = {parse_int(part, 0, 36_500) for part in parts}
        days = sorted(day for day in parsed if day is not None)
        if len(days) != len(parsed):
            raise ValueError(_("里程碑应为逗号分隔的天数,例如 10,30,60,100"))
        if not days or days[0] <= 0:
            raise ValueError(_("里程碑天数须为正整数"))
        return ",".join(map(str, days))
    if key.startswith("warnings.targets."):
        try:
            ack, contact = (int(part) for part in value.replace("\uff0c", ",").split(","))
        except ValueError:
            raise ValueError(_("应为两个分钟数:签收,首次联系,例如 5,30")) from None
        if ack <= 0 or contact < ack:
            raise ValueError(_("分钟数须为正整数,且首次联系时限不短于签收时限"))
        return f"{ack},{contact}"
    if key == REVIEW_LOSS_KEY:
        try:
            yuan = float(value.replace(",", ""))
        except ValueError:
            raise ValueError(_("请填写金额(元),例如 100000")) from None
        if not 0 < yuan <= 10**10:
            raise ValueError(_("金额须大于 0"))
        return f"{yuan:g}" if yuan != int(yuan) else str(int(yuan))
    if not value:
        raise ValueError(_("值不能为空"))
    return value
