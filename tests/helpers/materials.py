"""Files and uploads for the materials tests."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image

from tests.helpers.web import csrf_token

FIXTURES = Path(__file__).resolve().parent.parent / "materials" / "fixtures"
TINY_MP4 = (FIXTURES / "tiny.mp4").read_bytes()


def png_bytes(width: int = 60, height: int = 40, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def pdf_bytes(pages: int = 1, claimed: int | None = None) -> bytes:
    """A minimal PDF with `pages` page objects whose page tree claims `claimed` pages."""
    kids = " ".join(f"{i + 3} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {claimed or pages} >>".encode(),
        *(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>" for _ in range(pages)),
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return body


async def upload(
    client: httpx.AsyncClient,
    kind: str,
    filename: str | None = None,
    content: bytes | None = None,
    url: str = "/materials/new",
    **fields,
) -> httpx.Response:
    if not csrf_token(client):
        await client.get("/login")
    data = {
        "kind": kind,
        "title": fields.pop("title", f"测试{kind}"),
        "_csrf_token": csrf_token(client),
        **fields,
    }
    # a browser sends an empty file part when no file is chosen; the form is multipart either way
    files = {"file": (filename or "", content or b"", "application/octet-stream")}
    return await client.post(url, data=data, files=files)
