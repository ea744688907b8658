"""Writing files so that a failure leaves nothing behind.

A disk that fills up while an upload is written must not leave a half file that a later read
takes for the real one: every stored file is written under a temporary name beside its target
and renamed into place only when complete. `disk_full` tells the "no space" errors apart, so
that the person sees what happened in Chinese instead of a generic error page.
"""

from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path

from campaign.i18n import lazy_gettext as _l
from campaign.outages import causes

#: ENOSPC: the file system is full; EDQUOT: the user's quota; EFBIG: a size limit (RLIMIT_FSIZE).
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
DISK_FULL_MESSAGE = _l("服务器存储空间已满,文件未能保存。请联系管理员清理空间后重新上传。")


def disk_full(error: BaseException | None) -> bool:
    """Is this (or what it wraps) a "no space left" error?"""
    return any(isinstance(e, OSError) and e.errno in NO_SPACE for e in causes(error))


def partial_name(target: Path) -> Path:
    """Where `target` is written until it is complete (same folder: the rename is atomic)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")


def write_atomically(target: Path, data: bytes) -> None:
    """Write all of `data` to `target`, or nothing: a failure (a full disk) removes the part."""
    part = partial_name(target)
    try:
        with open(part, "wb") as handle:
            handle.write(data)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
