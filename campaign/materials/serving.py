"""Sending files: 200 or 206 Partial Content per RFC 9110 §14 (Litestar's File response has no
Range support), and collections as one streamed ZIP. Both stream in chunks, so memory stays flat."""

from __future__ import annotations

import asyncio
import datetime as dt
import zipfile
from collections.abc import AsyncIterator
from email.utils import format_datetime
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect, Stream

from campaign.materials import rules
from campaign.materials.storage import S3Storage, accel_prefix, get_storage
from campaign.timeutil import local


def disposition(kind: str, file_name: str) -> str:
    """Content-Disposition with an ASCII fallback name and the UTF-8 name (RFC 6266)."""
    ascii_name = "".join(
        ch if ch.isascii() and ch.isalnum() or ch in "._-" else "_" for ch in file_name
    )
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


async def send_file(
    request: Request,
    key: str,
    content_type: str,
    file_name: str,
    modified: dt.datetime,
    attachment: bool,
) -> Response:
    """The file, or the one byte range asked for (suffix and open ranges too), 416 with
    `Content-Range: bytes */size` for a range past the end, If-Range honoured."""
    storage = get_storage()
    content_disposition = disposition("attachment" if attachment else "inline", file_name)
    if isinstance(storage, S3Storage):
        return Redirect(path=storage.presigned_url(key, content_disposition), status_code=302)
    if prefix := accel_prefix():
        return Response(
            content=b"",
            media_type=content_type,
            headers={
                "X-Accel-Redirect": prefix.rstrip("/") + "/" + quote(key),
                "Content-Disposition": content_disposition,
                "X-Content-Type-Options": "nosniff",
            },
        )
    size = await storage.size(key)
    etag = f'"{key.rsplit("/", 1)[-1].split(".")[0]}-{size}"'
    last_modified = format_datetime(local(modified).astimezone(dt.UTC), usegmt=True)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": last_modified,
        "Content-Disposition": content_disposition,
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    try:
        wanted = rules.parse_range(request.headers.get("range"), size)
    except rules.Unsatisfiable:
        return Response(
            content=b"",
            status_code=416,
            headers={**headers, "Content-Range": f"bytes */{size}"},
            media_type=content_type,
        )
    if wanted and not rules.if_range_allows(request.headers.get("if-range"), etag, last_modified):
        wanted = None
    start, end = wanted or (0, size - 1)
    headers["Content-Length"] = str(max(0, end - start + 1))
    if wanted:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body = storage.read_range(key, start, end) if size else _nothing()
    if request.method == "HEAD":
        body = _nothing()
    return Stream(
        body, status_code=206 if wanted else 200, headers=headers, media_type=content_type
    )


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""


class _Sink:
    """A write-only file object for zipfile: it keeps what was written until it is drained."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


async def zip_stream(entries: list[tuple[str, str | None, bytes | None]]) -> AsyncIterator[bytes]:
    """A ZIP of (name in archive, storage key or None, bytes or None) written as it is read:
    stored, not deflated (media is compressed already), never more than a chunk in memory."""
    storage = get_storage()
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED)  # type: ignore[call-overload]
    taken: set[str] = set()
    for name, key, data in entries:
        safe = rules.zip_member_name(name, taken)
        info = zipfile.ZipInfo(safe, date_time=local(dt.datetime.now(dt.UTC)).timetuple()[:6])
        with archive.open(info, mode="w", force_zip64=True) as member:
            if data is not None:
                member.write(data)
            elif key is not None:
                size = await storage.size(key)
                async for chunk in storage.read_range(key, 0, size - 1):
                    await asyncio.to_thread(member.write, chunk)
                    if sink.position and sink.parts:
                        yield sink.drain()
        yield sink.drain()
    archive.close()
    yield sink.drain()
