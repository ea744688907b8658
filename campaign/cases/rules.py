"""What a case means: reference lists, canonical names, money. Pure functions, no I/O."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: Defaults a freshly migrated database holds (DESIGN §4); admins edit them afterwards.
DEFAULT_FRAUD_TYPES: tuple[tuple[str, str], ...] = (
    ("投资理财", "投资理财诈骗;虚假投资;虚假理财;荐股"),
    ("兼职刷单", "刷单返利;兼职刷单诈骗;刷单"),
    ("冒充客服", "冒充电商物流客服;冒充客服诈骗;虚假退款"),
    ("贷款", "虚假贷款;贷款诈骗;网络贷款"),
    ("冒充亲友", "冒充熟人;冒充领导;冒充亲友诈骗"),
    ("网络游戏", "游戏产品虚假交易;网络游戏诈骗;游戏装备"),
    ("网络婚恋", "网络婚恋交友;杀猪盘;婚恋交友"),
    ("冒充公检法", "冒充公检法及政府机关;冒充公检法诈骗"),
    ("虚假征信", "注销校园贷;消除不良征信"),
    ("其他", ""),
)
DEFAULT_OCCUPATION_GROUPS: tuple[tuple[str, str], ...] = (
    ("学生", "在校学生;大学生;中学生;研究生;学生"),
    ("医务人员", "医生;护士;医院工作人员;医务人员"),
    ("教师", "老师;教师;教职工"),
    ("企业职员", "公司职员;企业员工;职员;白领"),
    ("个体经营", "个体户;个体工商户;商户"),
    ("务工人员", "工人;务工;外来务工人员"),
    ("退休人员", "退休;离退休"),
    ("农民", "农民;务农"),
    ("无业", "无业;待业"),
    ("公职人员", "公务员;事业单位;公职人员"),
)
OTHER = "其他"


def alias_index(entries: list[tuple[str, str]]) -> dict[str, str]:
    """{any spelling: canonical name} from (name, 'alias;alias') pairs, case- and space-insensitive."""
    index: dict[str, str] = {}
    for name, aliases in entries:
        for spelling in [name, *aliases.replace(";", ";").split(";")]:
            if spelling.strip():
                index[_key(spelling)] = name
    return index


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def canonical(raw: str, index: dict[str, str]) -> str | None:
    """The canonical name for a spelling, or None when it is unknown."""
    return index.get(_key(raw)) if raw and raw.strip() else None


def occupation_group(occupation: str | None, index: dict[str, str]) -> str:
    """The reporting group of an occupation as written: exact alias first, then the longest alias
    contained in it (在校大学生 → 学生), else 其他."""
    if not occupation or not occupation.strip():
        return OTHER
    key = _key(occupation)
    if key in index:
        return index[key]
    matches = [alias for alias in index if alias in key]
    return index[max(matches, key=len)] if matches else OTHER


def yuan_to_fen(raw: str) -> int:
    """'1,234.5' 元 → 123450 fen. ValueError for negatives, non-numbers or more than 2 decimals."""
    text = str(raw).strip().replace(",", "").replace(",", "").removesuffix("元")
    if not text:
        return 0
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise ValueError(raw)
    return int(value * 100)
