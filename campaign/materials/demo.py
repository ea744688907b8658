"""Demo materials: 120+ generated posters (drawn with Pillow in the 小牛警 style), short videos
(ffmpeg, where installed), slogans and articles across the seed's fraud types, with collections,
a download history and orders. Deterministic and marked is_demo."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from campaign.db import write_transaction
from campaign.fonts import cjk_font
from campaign.materials import rules
from campaign.materials.storage import get_storage
from campaign.materials.tables import (
    Collection,
    CollectionItem,
    Download,
    Material,
    MaterialOrder,
    MaterialVersion,
)

#: (fraud type, slogans) — the source report's themes: 刷单, 投资理财, 冒充客服, 贷款, 校园, 老年人 …
SLOGANS = {
    "兼职刷单": ("刷单就是诈骗,先垫付必被骗", "动动手指就赚钱?天上不会掉馅饼", "凡是刷单,都是诈骗"),
    "投资理财": ("高收益必高风险,荐股群里全是局", "导师带你赚钱,其实是带你进坑", "陌生平台不投资"),
    "冒充客服": (
        "退款理赔找官方,不点陌生链接",
        "客服让你开共享屏幕?立即挂断",
        "官方客服不会让你转账",
    ),
    "贷款": ("无抵押秒到账,先交费就是诈骗", "贷款先交保证金?是骗局", "正规贷款不收前期费用"),
    "冒充亲友": ("“领导”让你转账?先打电话核实", "亲友借钱要视频确认", "换号加好友,借钱需当面核实"),
    "网络游戏": (
        "游戏装备私下交易,钱号两空",
        "低价充值是陷阱,官方渠道最安全",
        "未成年人充值,家长要把关",
    ),
    "网络婚恋": ("网恋对象带你投资,必是杀猪盘", "未曾谋面谈感情,开口要钱是骗子", "婚恋交友擦亮眼"),
    "冒充公检法": ("公检法不会电话办案", "“安全账户”根本不存在", "电话里说你涉案?挂断后打110"),
    "虚假征信": ("注销校园贷是骗局", "征信只能到人民银行查询修复", "消除不良记录要交钱?诈骗"),
}
AUDIENCE_OF = {
    "兼职刷单": ("学生", "宝妈"),
    "投资理财": ("企业职员", "退休人员"),
    "冒充客服": ("全体群众", "企业职员"),
    "贷款": ("个体经营", "务工人员"),
    "冒充亲友": ("老年人", "公职人员"),
    "网络游戏": ("学生",),
    "网络婚恋": ("企业职员", "医务人员"),
    "冒充公检法": ("老年人", "教师"),
    "虚假征信": ("学生", "教师"),
}
TEAMS = ("达叔讲堂", "警民小铺", "木兰织梦")
#: Demo logins that download, with the unit or team their downloads count for.
DOWNLOADERS = (
    ("team_dashu", "达叔讲堂"),
    ("coord_baisha", "白沙路街道"),
    ("coord_fuhai", "附海派出所"),
    ("leader_cixi", "慈溪市"),
)
COLOURS = ((23, 76, 150), (196, 57, 42), (14, 116, 96), (176, 104, 18), (88, 60, 150))
ARTICLE = """# {title}

近期,{fraud}类诈骗在我市仍然高发,**{audience}** 是骗子重点盯上的人群。

## 骗子常用套路
- 先取得信任,再一步步诱导转账
- 要求下载陌生 APP 或开启屏幕共享
- 以“限时”“内部消息”制造紧迫感

## 小牛警提醒
{slogan}。遇到可疑情况,立即拨打 96110 咨询,或到就近派出所求助。
"""


def poster_image(title: str, slogan: str, fraud: str, colour: tuple, width: int = 360) -> bytes:
    """A small 小牛警 poster: brand band, the fraud type, the slogan, the hotline."""
    height = width * 4 // 3
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 64), fill=(255, 255, 255))
    draw.text((16, 32), "小牛警 · 反诈", font=cjk_font(26), fill=colour, anchor="lm")
    draw.text((width - 16, 32), "慈溪公安", font=cjk_font(16), fill=(90, 90, 90), anchor="rm")
    draw.rounded_rectangle((16, 86, 16 + 26 * len(fraud) + 24, 124), radius=16, fill=(255, 214, 0))
    draw.text((28, 105), fraud, font=cjk_font(22), fill=(40, 40, 40), anchor="lm")
    y = 150
    for line in _wrap(title, 9):
        draw.text((20, y), line, font=cjk_font(34), fill="white")
        y += 46
    y += 12
    for line in _wrap(slogan, 14):
        draw.text((20, y), line, font=cjk_font(22), fill=(230, 236, 245))
        y += 32
    draw.ellipse((width - 130, height - 170, width - 20, height - 60), fill=(255, 255, 255))
    draw.text((width - 75, height - 115), "牛", font=cjk_font(56), fill=colour, anchor="mm")
    draw.rectangle((0, height - 44, width, height), fill=(0, 0, 0))
    draw.text(
        (width // 2, height - 22), "反诈专线 96110", font=cjk_font(20), fill="white", anchor="mm"
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def demo_video(poster: bytes, seconds: int = 4) -> bytes | None:
    """A few seconds of MP4 made from a poster with a slow zoom, when ffmpeg is installed."""
    if not shutil.which("ffmpeg"):
        return None
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "p.jpg", Path(folder) / "v.mp4"
        source.write_bytes(poster)
        args = ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", str(source), "-t", str(seconds)]
        args += ["-vf", "scale=240:320,format=yuv420p", "-r", "10", "-movflags", "+faststart"]
        try:
            subprocess.run([*args, str(target)], check=True, timeout=30, capture_output=True)
        except (subprocess.SubprocessError, OSError):
            return None
        return target.read_bytes()


async def generate_demo(fraud_types: list[str], requester_id: int | None, seed: int = 2026) -> int:
    """Create the demo materials once (nothing happens when materials exist); returns how many."""
    if await Material.exists():
        return 0
    rng = random.Random(seed)
    storage = get_storage()
    now = dt.datetime.now(dt.UTC)
    types = [f for f in fraud_types if f in SLOGANS] or list(SLOGANS)
    plan: list[tuple[str, str]] = []
    for i in range(132):
        kind = "poster" if i % 11 < 6 else ("slogan" if i % 11 < 9 else "article")
        if i % 30 == 5:
            kind = "video"
        plan.append((kind, types[i % len(types)]))
    files: list[tuple[int, str, bytes, str]] = []
    rows = []
    for i, (kind, fraud) in enumerate(plan, start=1):
        slogan = rng.choice(SLOGANS[fraud])
        audiences = list(AUDIENCE_OF[fraud])
        team = TEAMS[i % len(TEAMS)]
        title = {
            "poster": f"{fraud}防骗海报 {i:03d}",
            "video": f"小牛警说{fraud} 第{i // 30 + 1}集",
            "slogan": slogan,
            "article": f"{audiences[0]}请注意:{fraud}骗局揭秘",
        }[kind]
        created = now - dt.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1440))
        expired = i % 23 == 0
        rows.append(
            Material(
                id=i,
                kind=kind,
                title=title[:100],
                description=f"面向{'、'.join(audiences)}的{fraud}诈骗防范宣传素材。",
                tags=" ".join([fraud, *audiences, "小牛警"]),
                fraud_types=rules.join_list([fraud]),
                audiences=rules.join_list(audiences),
                series="小牛警" if i % 4 else team,
                team=team,
                author_name=team,
                body=ARTICLE.format(title=title, fraud=fraud, audience=audiences[0], slogan=slogan)
                if kind == "article"
                else (slogan if kind == "slogan" else ""),
                licence="可自由印制、转发,注明“小牛警”反诈",
                valid_until=(now - dt.timedelta(days=3)).date() if expired else None,
                status="pending" if i % 29 == 0 else "approved",
                reviewed_by="admin",
                reviewed_at=created,
                created_at=created,
                updated_at=created,
                is_demo=True,
            )
        )
        if kind in ("poster", "video"):
            poster = poster_image(title, slogan, fraud, COLOURS[i % len(COLOURS)])
            video = await asyncio.to_thread(demo_video, poster) if kind == "video" else None
            if kind == "video" and video is None:
                rows[-1].kind = "poster"
            files.append((i, "jpg", poster, "image/jpeg"))
            if video:
                files.append((i, "mp4", video, "video/mp4"))
    versions = []
    for material_id, ext, data, content_type in files:
        row = rows[material_id - 1]
        key = f"materials/{material_id}/v1-demo.{ext}"
        await storage.put_bytes(key, data)
        if ext == "jpg":
            row.preview_key = key
        if ext == "jpg" and row.kind == "video":
            continue
        row.version, row.file_key, row.size = 1, key, len(data)
        row.file_name, row.content_type = f"{row.title}.{ext}", content_type
        row.duration = 4.0 if ext == "mp4" else None
        versions.append(
            MaterialVersion(
                material_id=material_id,
                number=1,
                file_key=key,
                file_name=row.file_name,
                content_type=content_type,
                size=len(data),
                sha256="demo",
                preview_key=row.preview_key,
                duration=row.duration,
                uploaded_by="admin",
                uploaded_at=row.created_at,
            )
        )
    downloads = []
    live = [r for r in rows if r.status == "approved" and r.valid_until is None]
    weights = [rng.paretovariate(1.2) for _ in live]
    for _ in range(900):
        material = rng.choices(live, weights)[0]
        material.downloads += 1
        downloads.append(
            Download(
                material_id=material.id,
                version=material.version,
                username=(who := rng.choice(DOWNLOADERS))[0],
                team=who[1],
                at=now - dt.timedelta(days=rng.randint(0, 55), minutes=rng.randint(0, 1440)),
            )
        )
    async with write_transaction():
        await Material.insert(*rows)
        await MaterialVersion.insert(*versions)
        for start in range(0, len(downloads), 300):
            await Download.insert(*downloads[start : start + 300])
        await _collections(rows)
        await MaterialOrder.insert(
            MaterialOrder(
                requester_id=requester_id or 0,
                requester_name="达叔讲堂",
                team="达叔讲堂",
                topic="面向老年人的保健品诈骗短视频",
                audience="老年人",
                note="下周进社区讲堂用",
                is_demo=True,
            )
        )
    await _resequence()
    return len(rows)


async def _collections(rows: list[Material]) -> None:
    themes = (
        ("开学季", "新生入学季:刷单、游戏、校园贷、冒充客服", ("学生", "教师")),
        ("暑期防骗", "暑假学生与家长:游戏充值、兼职刷单", ("学生", "宝妈")),
        ("守护银发", "老年人防骗:冒充公检法、冒充亲友、保健品", ("老年人", "退休人员")),
    )
    for position, (name, description, audiences) in enumerate(themes, start=1):
        await Collection.insert(
            Collection(id=position, name=name, description=description, is_demo=True)
        )
        members = [
            r.id
            for r in rows
            if r.status == "approved" and any(f";{a};" in r.audiences for a in audiences)
        ][:12]
        await CollectionItem.insert(
            *(
                CollectionItem(collection_id=position, material_id=m, position=i)
                for i, m in enumerate(members)
            )
        )


async def _resequence() -> None:
    """Explicit ids were inserted; move PostgreSQL's sequences past them."""
    from campaign.db import is_sqlite

    if is_sqlite():
        return
    for table in (Material, Collection):
        name = table._meta.tablename
        await table.raw(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM \"{name}\"))"
        )
