"""What a material is and what may be done with it: kinds, size limits, content sniffing, byte
ranges, safe names, the article mark-up and who may see, fetch and edit. Pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.parsing import parse_date, parse_int

ADMIN, TEAM = "admin", "team"
MB = 1024 * 1024

KINDS = {
    "poster": _l("海报"),
    "video": _l("短视频"),
    "slogan": _l("标语"),
    "article": _l("文章"),
    "audio": _l("音频"),
}
#: Kinds that carry a file; slogans and articles are text stored on the material itself.
FILE_KINDS = ("poster", "video", "audio")
#: Upload limits per kind in bytes (a module-level dict so an operator or a test can lower them).
SIZE_LIMITS = {"poster": 30 * MB, "video": 600 * MB, "audio": 50 * MB}
STATUSES = {"pending": _l("待审核"), "approved": _l("已上架"), "rejected": _l("已退回")}
SERIES = ("小牛警", "达叔讲堂", "警民小铺", "木兰织梦", "反诈宣传月")
#: Who materials are made for; kept here so materials do not depend on the events module.
AUDIENCES = (
    "全体群众",
    "老年人",
    "学生",
    "宝妈",
    "教师",
    "医务人员",
    "企业职员",
    "个体经营",
    "务工人员",
    "退休人员",
    "农民",
    "公职人员",
)
MAX_PDF_PAGES = 200
MAX_IMAGE_PIXELS = 60_000_000
SORTS = {"new": _l("最新上架"), "popular": _l("下载最多")}


# -- Lists stored as ";a;b;" ----------------------------------------------------------------------


def join_list(items: list[str] | tuple[str, ...]) -> str:
    """';a;b;' (empty string for none), so that ';a;' as a substring means 'contains a'."""
    clean = [i.strip() for i in items if i and i.strip() and ";" not in i]
    return f";{';'.join(dict.fromkeys(clean))};" if clean else ""


def split_list(stored: str | None) -> list[str]:
    return [part for part in (stored or "").split(";") if part]


def split_tags(text: str) -> list[str]:
    """Tags as typed: separated by spaces, commas (either width) or 、."""
    return [t for t in re.split(r"[\s,,、;;]+", text or "") if t][:12]


# -- Content sniffing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes of a file say it is."""

    format: str  # png, jpeg, gif, webp, pdf, mp4, mp3, m4a, wav, ogg, exe, unknown
    extension: str
    content_type: str


FORMATS = {
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "gif": ("gif", "image/gif"),
    "webp": ("webp", "image/webp"),
    "pdf": ("pdf", "application/pdf"),
    "mp4": ("mp4", "video/mp4"),
    "m4a": ("m4a", "audio/mp4"),
    "mp3": ("mp3", "audio/mpeg"),
    "wav": ("wav", "audio/wav"),
    "ogg": ("ogg", "audio/ogg"),
    "exe": ("bin", "application/octet-stream"),
    "unknown": ("bin", "application/octet-stream"),
}
ACCEPTED = {
    "poster": ("png", "jpeg", "gif", "webp", "pdf"),
    "video": ("mp4",),
    "audio": ("mp3", "m4a", "wav", "ogg"),
}
AUDIO_BRANDS = (b"M4A ", b"M4B ", b"F4A ")


def sniff(head: bytes) -> Sniffed:
    """The format of a file from its first bytes (at least 16), never from its name."""
    fmt = "unknown"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        fmt = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        fmt = "jpeg"
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        fmt = "gif"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        fmt = "webp"
    elif head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        fmt = "wav"
    elif head.startswith(b"%PDF-"):
        fmt = "pdf"
    elif head[4:8] == b"ftyp":
        fmt = "m4a" if head[8:12] in AUDIO_BRANDS else "mp4"
    elif head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        fmt = "mp3"
    elif head.startswith(b"OggS"):
        fmt = "ogg"
    elif head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"#!")):
        fmt = "exe"
    extension, content_type = FORMATS[fmt]
    return Sniffed(fmt, extension, content_type)


def format_error(kind: str, sniffed: Sniffed) -> str | None:
    """Why a file of this format cannot be a material of this kind, or None when it can."""
    if sniffed.format in ACCEPTED.get(kind, ()):
        return None
    if sniffed.format == "exe":
        return _("这是一个可执行程序,不是%(kind)s文件,已拒收", kind=KINDS[kind])
    wanted = {
        "poster": _("PNG、JPEG、GIF、WebP 图片或 PDF"),
        "video": _("MP4 视频"),
        "audio": _("MP3、M4A、WAV 或 OGG 音频"),
    }[kind]
    return _("文件内容不是%(wanted)s(按文件内容判断,与文件名无关)", wanted=wanted)


def size_error(kind: str, size: int, limits: dict[str, int] | None = None) -> str | None:
    limit = (limits or SIZE_LIMITS)[kind]
    if size > limit:
        return _("文件超过%(kind)s的大小上限 %(mb)s MB", kind=KINDS[kind], mb=_mb(limit))
    return None


def _mb(size: int) -> str:
    return f"{size / MB:g}"


def largest_limit(limits: dict[str, int] | None = None) -> int:
    return max((limits or SIZE_LIMITS).values())


def mp4_error(read_at: Callable[[int, int], bytes], size: int) -> str | None:
    """Walk the top-level boxes of an MP4: every box must fit inside the file, the file must end
    where the last box ends, and an 'ftyp' and a 'moov' box must be there. A file cut short or
    without its index ('moov') cannot play, so it is refused."""
    offset, seen, boxes = 0, set(), 0
    while offset < size:
        header = read_at(offset, 16)
        if len(header) < 8:
            return _("视频文件不完整(被截断)")
        box_size = int.from_bytes(header[:4], "big")
        box_type = header[4:8]
        if box_size == 1:
            if len(header) < 16:
                return _("视频文件不完整(被截断)")
            box_size = int.from_bytes(header[8:16], "big")
        elif box_size == 0:
            box_size = size - offset
        if box_size < 8 or offset + box_size > size:
            return _("视频文件不完整(被截断)")
        if boxes == 0 and box_type != b"ftyp":
            return _("文件内容不是 MP4 视频")
        seen.add(box_type)
        offset += box_size
        boxes += 1
        if boxes > 10_000:
            return _("视频文件结构异常")
    if b"moov" not in seen:
        return _("视频缺少索引(moov),无法播放,请重新导出")
    return None


PDF_COUNT = re.compile(rb"/Count\s+(\d{1,12})")
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_page_count(data_chunks) -> tuple[int, int]:
    """(pages counted as /Type /Page objects, largest /Count claimed by a page tree) over the raw
    bytes of a PDF given in chunks; chunks overlap by a few bytes so no token is split."""
    pages, claimed, tail = 0, 0, b""
    for chunk in data_chunks:
        buffer = tail + chunk
        cut = max(0, len(buffer) - 32)
        # count only matches that start before the carried-over tail, so none is counted twice
        pages += sum(1 for m in PDF_PAGE.finditer(buffer) if m.start() < cut)
        claimed = max([claimed, *(int(m.group(1)) for m in PDF_COUNT.finditer(buffer))])
        tail = buffer[cut:]
    pages += len(PDF_PAGE.findall(tail))
    return pages, claimed


def pdf_error(pages: int, claimed: int) -> str | None:
    if max(pages, claimed) > MAX_PDF_PAGES:
        return _(
            "PDF 页数异常(%(n)s 页,上限 %(max)s 页),疑似恶意文件",
            n=max(pages, claimed),
            max=MAX_PDF_PAGES,
        )
    if pages == 0 and claimed == 0:
        return _("PDF 文件没有页面或已损坏")
    return None


# -- Names ------------------------------------------------------------------------------------


def display_filename(raw: str | None, extension: str) -> str:
    """A name that is only ever shown (and offered in Content-Disposition): the last path part,
    without control characters, quotes or leading dots, at most 80 characters, ending in the
    extension the content was detected as."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(
        " " if unicodedata.category(ch)[0] == "Z" else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*'
    )
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip().lstrip(".").strip()[:80] or "material"
    return f"{stem}.{extension}"


def storage_key(material_id: int, version: int, token: str, extension: str) -> str:
    """Where a version's file is stored: generated, never derived from what the uploader typed."""
    assert re.fullmatch(r"[a-z0-9]+", token) and re.fullmatch(r"[a-z0-9]+", extension)
    return f"materials/{material_id}/v{version}-{token}.{extension}"


# -- Byte ranges (RFC 9110 §14) ----------------------------------------------------------------


class Unsatisfiable(Exception):
    """The range asks for bytes the representation does not have: answer 416."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte positions, inclusive, that a Range header asks for, or None for the
    whole representation. A header that is absent, not in bytes, malformed or asks for several
    ranges is ignored (a server may always answer 200); one that cannot be satisfied raises
    Unsatisfiable."""
    if not header:
        return None
    unit, _sep, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if any(part and parse_int(part) is None for part in (first, last)):
        return None  # not ASCII digits, or beyond any file size
    if first == "":
        if last == "":
            return None
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size - 1)


def if_range_allows(if_range: str | None, etag: str, last_modified: str) -> bool:
    """If-Range: the range applies only when the validator still matches (strong ETag, or the
    exact Last-Modified date)."""
    if not if_range:
        return True
    value = if_range.strip()
    if value.startswith("W/"):
        return False
    if value.startswith('"'):
        return value == etag
    return value == last_modified


# -- Articles ---------------------------------------------------------------------------------


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=True)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)


def render_article(markdown: str) -> str:
    """A small, safe Markdown: '#'/'##' headings, '- ' lists, **bold**, blank-line paragraphs.
    Every character the author typed is HTML-escaped first, so no tag or attribute they write
    ever reaches the page; only the tags produced here do."""
    blocks: list[str] = []
    items: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(_inline(p) for p in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in (markdown or "").replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("## "):
            flush()
            blocks.append(f"<h3>{_inline(stripped[3:])}</h3>")
        elif stripped.startswith("# "):
            flush()
            blocks.append(f"<h2>{_inline(stripped[2:])}</h2>")
        elif stripped.startswith(("- ", "* ")):
            if paragraph:
                flush()
            items.append(stripped[2:])
        else:
            if items:
                flush()
            paragraph.append(stripped)
    flush()
    return "\n".join(blocks)


# -- Who may do what ---------------------------------------------------------------------------


def is_expired(valid_until: dt.date | None, today: dt.date) -> bool:
    return valid_until is not None and valid_until < today


def is_live(material: Mapping[str, Any], today: dt.date) -> bool:
    """In the shop: approved, already valid and not expired."""
    started = material.get("valid_from") is None or material["valid_from"] <= today
    return (
        material["status"] == "approved"
        and started
        and not is_expired(material.get("valid_until"), today)
    )


def owns(material: Mapping[str, Any], user_id: int, role: str, team: str | None) -> bool:
    """A team member owns what they or their team uploaded."""
    if role != TEAM:
        return False
    return material.get("author_id") == user_id or bool(team and material.get("team") == team)


def may_see(
    material: Mapping[str, Any], user_id: int, role: str, team: str | None, today: dt.date
) -> bool:
    """Admins see everything; others see what is live, and teams also their own uploads."""
    return role == ADMIN or is_live(material, today) or owns(material, user_id, role, team)


def may_edit(material: Mapping[str, Any], user_id: int, role: str, team: str | None) -> bool:
    return role == ADMIN or owns(material, user_id, role, team)


def may_upload(role: str) -> bool:
    return role in (ADMIN, TEAM)


def answers_orders(role: str, team: str | None, content_team: str | None) -> bool:
    """The content team answers orders (点单): admins, and the members of the team named as the
    content team (MATERIALS_CONTENT_TEAM), if one is."""
    return role == ADMIN or (role == TEAM and bool(team) and team == content_team)


# -- Weeks and the upload form -------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    """The Monday of the local week containing `day`."""
    return day - dt.timedelta(days=day.weekday())


def latest_full_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the last complete week before `today`'s week."""
    monday = week_start(today) - dt.timedelta(days=7)
    return monday, monday + dt.timedelta(days=6)


def _date(raw: str) -> dt.date | None:
    return parse_date(raw)


def validate_material(
    form: dict[str, list[str]], fraud_type_names: list[str], *, creating: bool
) -> tuple[dict, dict[str, str]]:
    """The typed values (kept for re-display) and the errors beside each field."""

    def one(key: str) -> str:
        return (form.get(key) or [""])[0].strip()

    values: dict[str, Any] = {
        "kind": one("kind"),
        "title": one("title"),
        "description": one("description"),
        "tags": " ".join(split_tags(one("tags"))),
        "fraud_types": [f for f in form.get("fraud_types", []) if f in fraud_type_names],
        "audiences": [a for a in form.get("audiences", []) if a in AUDIENCES],
        "series": one("series"),
        "licence": one("licence"),
        "body": (form.get("body") or [""])[0].strip(),
        "valid_from": one("valid_from"),
        "valid_until": one("valid_until"),
    }
    errors: dict[str, str] = {}
    if creating and values["kind"] not in KINDS:
        errors["kind"] = _("请选择素材类型")
    if not values["title"]:
        errors["title"] = _("请填写标题")
    elif len(values["title"]) > 100:
        errors["title"] = _("标题最多 100 个字")
    if len(values["description"]) > 2000:
        errors["description"] = _("简介最多 2000 个字")
    if values["series"] and values["series"] not in SERIES:
        errors["series"] = _("请选择列表中的品牌系列")
    if len(values["licence"]) > 200:
        errors["licence"] = _("使用说明最多 200 个字")
    if values["kind"] in ("slogan", "article") and not values["body"]:
        errors["body"] = _("请填写标语或文章正文")
    if values["kind"] == "slogan" and len(values["body"]) > 200:
        errors["body"] = _("标语最多 200 个字")
    if len(values["body"]) > 50_000:
        errors["body"] = _("正文太长(最多 5 万字)")
    for key in ("valid_from", "valid_until"):
        if values[key] and _date(values[key]) is None:
            errors[key] = _("日期格式应为 2026-07-09")
    start, end = _date(values["valid_from"]), _date(values["valid_until"])
    if start and end and end < start:
        errors["valid_until"] = _("有效期止不能早于起始日")
    return values, errors


def stored_values(values: dict) -> dict:
    """The validated form as material columns."""
    return {
        "title": values["title"],
        "description": values["description"],
        "tags": values["tags"],
        "fraud_types": join_list(values["fraud_types"]),
        "audiences": join_list(values["audiences"]),
        "series": values["series"],
        "licence": values["licence"],
        "body": values["body"],
        "valid_from": _date(values["valid_from"]) if values["valid_from"] else None,
        "valid_until": _date(values["valid_until"]) if values["valid_until"] else None,
    }


def form_values(material: Mapping[str, Any]) -> dict:
    """A stored material as the values of its edit form."""
    return {
        **material,
        "fraud_types": split_list(material["fraud_types"]),
        "audiences": split_list(material["audiences"]),
        "valid_from": material["valid_from"].isoformat() if material["valid_from"] else "",
        "valid_until": material["valid_until"].isoformat() if material["valid_until"] else "",
    }


def match_score(
    material: Mapping[str, Any],
    fraud_types: Sequence[tuple[str, int]],
    groups: Sequence[tuple[str, int]],
) -> tuple[int, int]:
    """How well a material answers last week's cases: (cases of the leading fraud types it
    covers, cases of the leading victim groups it is for). A material on the week's top type
    outranks one on the third, and either outranks a material that only fits a victim group."""
    covered, meant_for = (
        set(split_list(material["fraud_types"])),
        set(split_list(material["audiences"])),
    )
    return (
        sum(n for name, n in fraud_types if name in covered),
        sum(n for name, n in groups if name in meant_for),
    )


M = TypeVar("M", bound=Mapping[str, Any])


def rank_recommendations(
    materials: Iterable[M],
    fraud_types: Sequence[tuple[str, int]],
    groups: Sequence[tuple[str, int]],
    limit: int,
) -> list[M]:
    """Matching materials by how well they match (match_score), then most downloaded, then
    newest; materials matching nothing are left out."""
    scored = [(match_score(m, fraud_types, groups), m) for m in materials]
    scored = [(score, m) for score, m in scored if score != (0, 0)]
    scored.sort(key=lambda pair: (pair[0], pair[1]["downloads"], pair[1]["id"]), reverse=True)
    return [m for _score, m in scored[:limit]]


CITY_UNIT = "全市"  # stored data, like every unit name, so not translated


def download_unit(team: str | None, unit_name: str | None) -> str:
    """The unit a download is counted for: the team, else the unit, else the whole city."""
    return (team or "").strip() or (unit_name or "").strip() or CITY_UNIT


_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f:*?"<>|]')


def _trimmed(part: str) -> str:
    """Without leading or trailing spaces and dots, however they alternate ("0 ." → "0")."""
    while (trimmed := part.strip().strip(".")) != part:
        part = trimmed
    return part


def zip_member_name(name: str, taken: set[str]) -> str:
    """A safe, unique member name for a ZIP built from titles: no absolute paths, no `..` or `.`
    parts, no backslashes, drive letters or control characters, each part at most 100 characters;
    a repeat gets " (2)", " (3)" … before its extension. Adds the result to `taken`."""
    parts = []
    for part in name.replace("\\", "/").split("/"):
        part = _trimmed(_UNSAFE_IN_NAME.sub("_", unicodedata.normalize("NFC", part)))
        if part:
            parts.append(part[:100])
    safe = "/".join(parts) or "file"
    stem, dot, extension = safe.rpartition(".")
    if not dot or "/" in extension:
        stem, dot, extension = safe, "", ""
    candidate, number = safe, 2
    while candidate.lower() in taken:
        candidate = f"{stem} ({number}){dot}{extension}"
        number += 1
    taken.add(candidate.lower())
    return candidate
