"""Uploads stay in memory on the server too, not only in our decoder.

Streamlit's server parses ``PUT /_stcore/upload_file`` with Starlette's
multipart parser, whose ``SpooledTemporaryFile`` rolls over to a temporary
file on disk beyond 1 MB. ``ui.image_choice.keep_uploads_in_memory`` (called
by app.py on every run) raises that threshold to the upload limit. These
tests parse a multipart body with the very parser Streamlit uses while any
temporary file is forbidden.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path

import pytest
from starlette.formparsers import MultiPartParser
from starlette.requests import Request
from streamlit.testing.v1 import AppTest

from ui.image_choice import keep_uploads_in_memory

ROOT = Path(__file__).resolve().parent.parent
PHOTO_BYTES = 5 * 1024 * 1024  # a phone photo, well over Starlette's 1 MB spool


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "----kmeans-lesson-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def parse_upload(data: bytes) -> bytes:
    """Parse one uploaded file the way Streamlit's upload route does; return its bytes."""
    body, content_type = multipart(data)
    chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]

    async def receive():
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def run() -> bytes:
        request = Request({"type": "http", "method": "PUT", "path": "/",
                           "headers": [(b"content-type", content_type.encode()),
                                       (b"content-length", str(len(body)).encode())]},
                          receive)
        form = await request.form()
        upload = form["file"]
        try:
            return await upload.read()
        finally:
            await upload.close()

    # In a thread of its own: an earlier test (Playwright's sync API) may have
    # left an event loop running in this one.
    outcome = {}

    def parse() -> None:
        try:
            outcome["data"] = asyncio.run(run())
        except BaseException as error:  # noqa: BLE001 - re-raised below
            outcome["error"] = error

    thread = threading.Thread(target=parse)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["data"]


@pytest.fixture
def no_temporary_files(monkeypatch):
    """Any temporary file (the spool's rollover included) fails the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, forbidden)


@pytest.fixture
def restore_spool_size():
    before = MultiPartParser.spool_max_size
    yield
    MultiPartParser.spool_max_size = before


def test_a_large_upload_stays_in_memory(restore_spool_size, no_temporary_files):
    keep_uploads_in_memory()
    data = bytes(range(256)) * (PHOTO_BYTES // 256)
    assert parse_upload(data) == data


def test_without_it_the_server_would_write_the_upload_to_disk(restore_spool_size,
                                                               no_temporary_files):
    # The check above can fail: Starlette's own threshold spools to disk.
    MultiPartParser.spool_max_size = 1024 * 1024
    with pytest.raises(AssertionError, match="temporary file"):
        parse_upload(b"x" * PHOTO_BYTES)


def test_the_app_raises_the_threshold_to_the_upload_limit(restore_spool_size):
    MultiPartParser.spool_max_size = 1024 * 1024
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert MultiPartParser.spool_max_size > config["server"]["maxUploadSize"] * 1024 * 1024
