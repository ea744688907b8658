"""Receiving an upload: the multipart body is parsed as it arrives and the file part is written
straight to a scratch file, so a 600 MB video never sits in memory. A body whose declared length
is beyond every limit is refused before a byte is read; a file that grows past its kind's limit is
dropped the moment it does, without reading the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import multipart
from litestar import Request

from campaign.files import DISK_FULL_MESSAGE, disk_full
from campaign.i18n import _
from campaign.materials import rules
from campaign.materials.storage import get_storage
from campaign.parsing import parse_int

FORM_OVERHEAD = 1024 * 1024  # room for the text fields and multipart framing
MAX_FIELD = 60_000


class UploadRefused(Exception):
    """The body cannot be accepted; the message says why (in Chinese)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Received:
    fields: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None
    file_name: str = ""
    size: int = 0
    sha256: str = ""
    head: bytes = b""

    def discard(self) -> None:
        if self.path:
            self.path.unlink(missing_ok=True)
            self.path = None


def max_body_size() -> int:
    return rules.largest_limit() + FORM_OVERHEAD


async def receive(request: Request) -> Received:
    """The form fields and the spooled file of a multipart upload (fields named before the file
    in the form, like `kind`, are known when the file arrives and set its size limit)."""
    content_type, options = multipart.parse_options_header(request.headers.get("content-type", ""))
    if content_type != "multipart/form-data" or not options.get("boundary"):
        raise UploadRefused(_("请通过上传表单提交文件"))
    declared = request.headers.get("content-length")
    if (size := parse_int(declared)) is not None and size > max_body_size():
        raise UploadRefused(
            _("文件太大:上传上限为 %(mb)s MB", mb=f"{rules.largest_limit() / rules.MB:g}"), 413
        )
    received = Received()
    parser = multipart.PushMultipartParser(options["boundary"], max_segment_count=60)
    handle = None
    digest = hashlib.sha256()
    current: multipart.MultipartSegment | None = None
    file_segment: multipart.MultipartSegment | None = None
    text = bytearray()
    try:
        async for chunk in request.stream():
            for event in parser.parse(chunk):
                if isinstance(event, multipart.MultipartSegment):
                    current, text = event, bytearray()
                    if event.filename is not None and event.filename != "" and handle is None:
                        received.file_name = event.filename
                        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in finally)
                            dir=get_storage().scratch_dir(), delete=False, prefix="up-"
                        )
                        received.path = Path(handle.name)
                        file_segment = event
                elif event is None:
                    if current is not None and current.filename is None:
                        received.fields.setdefault(current.name or "", []).append(
                            text.decode("utf-8", "replace")
                        )
                    current = None
                elif current is not None and current.filename is None:
                    text += event
                    if len(text) > MAX_FIELD:
                        raise UploadRefused(_("表单内容太长"))
                elif current is not None and current is file_segment and handle is not None:
                    received.size += len(event)
                    kind = (received.fields.get("kind") or [""])[0]
                    limit = rules.SIZE_LIMITS.get(kind, rules.largest_limit())
                    if received.size > limit:
                        raise UploadRefused(
                            rules.size_error(kind, received.size)
                            or _("文件太大:上传上限为 %(mb)s MB", mb=f"{limit / rules.MB:g}"),
                            413,
                        )
                    if len(received.head) < 64:
                        received.head += event[: 64 - len(received.head)]
                    digest.update(event)
                    await asyncio.to_thread(handle.write, event)
            if parser.closed:
                break
        if handle is not None:
            await asyncio.to_thread(handle.flush)  # a full disk shows here, not after the try
    except multipart.MultipartError as error:
        received.discard()
        raise UploadRefused(_("上传数据不完整或格式错误")) from error
    except OSError as error:
        received.discard()
        if disk_full(error):
            raise UploadRefused(str(DISK_FULL_MESSAGE), 507) from error
        raise
    except BaseException:
        received.discard()
        raise
    finally:
        if handle is not None:
            handle.close()
    received.sha256 = digest.hexdigest()
    return received
