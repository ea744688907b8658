"""The S3 backend against a real S3-compatible HTTP server (moto's server mode): uploads, byte
ranges, presigned downloads, ZIP collections and what a backup says about the media."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import httpx
import pytest

from campaign import backup as backup_module
from campaign.materials import serving
from tests.helpers.services import need


@pytest.fixture(scope="module")
def s3_endpoint():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        need(False, "moto[server] (pip install -e '.[test]')")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def storage(s3_endpoint, monkeypatch, tmp_path):
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="media")
    from campaign.materials.storage import S3Storage

    return S3Storage("media", s3_endpoint, tmp_path / "scratch")


async def test_upload_size_ranges_copy_and_delete(storage, tmp_path):
    data = bytes(range(256)) * 40
    source = tmp_path / "poster.jpg"
    source.write_bytes(data)
    await storage.put_file("m/1/v1.jpg", source)
    assert not source.exists()  # moved into the bucket
    assert await storage.size("m/1/v1.jpg") == len(data)
    part = b"".join([c async for c in storage.read_range("m/1/v1.jpg", 100, 1099, chunk=300)])
    assert part == data[100:1100]
    with storage.local_copy("m/1/v1.jpg") as copy:
        assert copy.read_bytes() == data
    await storage.delete("m/1/v1.jpg")
    assert not await storage.exists("m/1/v1.jpg")


async def test_presigned_link_serves_ranges(storage):
    await storage.put_bytes("m/2/v1.txt", b"0123456789")
    url = storage.presigned_url("m/2/v1.txt", "attachment; filename=a.txt")
    async with httpx.AsyncClient() as client:
        answer = await client.get(url, headers={"range": "bytes=2-5"})
    assert answer.status_code == 206 and answer.content == b"2345"


async def test_zip_collection_streams_from_the_bucket(storage, monkeypatch):
    await storage.put_bytes("m/3/v1.txt", b"slogan" * 1000)
    monkeypatch.setattr(serving, "get_storage", lambda: storage)
    entries = [("../宣传/口号.txt", "m/3/v1.txt", None), ("说明.txt", None, b"hello")]
    data = b"".join([chunk async for chunk in serving.zip_stream(entries)])
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["宣传/口号.txt", "说明.txt"]
    assert archive.read("宣传/口号.txt") == b"slogan" * 1000


def test_backup_with_object_storage_says_where_the_media_are(migrated, monkeypatch, tmp_path):
    settings = backup_module.get_settings()
    monkeypatch.setattr(
        backup_module, "get_settings", lambda: dataclasses.replace(settings, s3_bucket="media")
    )
    manifest = backup_module.backup(tmp_path / "b")
    assert manifest["media"] == {"in_object_storage": True}
