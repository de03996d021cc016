"""A long session: many parameter changes and uploads, and the server's memory (issue 10, §4).

One protocol-level session (the :class:`Student` of ``bench/classroom.py``)
against one ``streamlit run app.py``:

1. **fill**: ``--fill`` parameter changes (k and the position weight, every
   one a new k-means result) until the caches are full: the k-means results
   cache is budgeted in bytes (``ui/cache.py``; ``--results-mb`` sets the
   server's budget through ``SEGMENT_RESULTS_MB``), so is the feature-matrix
   cache (``--features-mb``, ``SEGMENT_FEATURES_MB``), the others by entries;
   then the server's resident memory is the *baseline*;
2. **soak**: ``--changes`` more parameter changes (new results, evicting old
   ones) and ``--uploads`` uploads in a row, each a different photo-sized
   JPEG sent as the browser does (``file_urls_request`` on the websocket, a
   multipart ``PUT`` to the URL the server gives, then the uploader's widget
   state), each followed by its result;
3. the server's resident memory *after*, and its growth over the baseline.

Every run must end with the statistics table of the k asked for, and no
``st.exception`` element; the script exits 1 if one does not, or if memory
grew more than ``--max-growth-mb`` (200).

Usage::

    .venv/bin/python bench/soak.py                  # 100 to fill, 200 changes, 50 uploads
    .venv/bin/python bench/soak.py --fill 10 --changes 20 --uploads 5 --results-mb 24 --features-mb 16
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileURLsRequest, FileUploaderState, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classroom import REPO_ROOT, MemorySampler, SessionResult, Student  # noqa: E402

MB = 1024 * 1024
K_VALUES = range(2, 13)
WEIGHTS = [round(0.05 * i, 2) for i in range(0, 41)]  # the position-weight slider's steps


class Uploader(Student):
    """A :class:`Student` that can also upload a file through the file uploader."""

    def choose(self, key: str, label: str) -> None:
        """Pick the option shown as ``label`` of a radio (its value is the label) and rerun."""
        widget = self.widgets[key]
        self.states[widget.id] = WidgetState(id=widget.id, string_value=label)
        self.rerun(self.fragments.get(key, ""))

    def request_upload_url(self, name: str):
        """Ask the server where to PUT a file (as the browser does); its FileURLs."""
        request_id = uuid.uuid4().hex
        message = BackMsg(file_urls_request=FileURLsRequest(
            request_id=request_id, file_names=[name], session_id=self.session_id))
        self.socket.send(message.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(self.socket.recv(timeout=60))
            if reply.WhichOneof("type") == "file_urls_response" and \
                    reply.file_urls_response.response_id == request_id:
                if reply.file_urls_response.error_msg:
                    raise RuntimeError(reply.file_urls_response.error_msg)
                return reply.file_urls_response.file_urls[0]

    def upload(self, key: str, name: str, data: bytes, mime: str) -> None:
        """PUT ``data`` to the server, set the uploader ``key`` to it and rerun."""
        urls = self.request_upload_url(name)
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n").encode()
        body += data + f"\r\n--{boundary}--\r\n".encode()
        xsrf = next((c.value for c in self.cookies if c.name == "_streamlit_xsrf"), "")
        url = urls.upload_url if "://" in urls.upload_url else self.base_url + urls.upload_url
        request = urllib.request.Request(url, data=body, method="PUT", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": xsrf})
        with self.http.open(request, timeout=60) as response:
            response.read()
        widget = self.widgets[key]
        state = WidgetState(id=widget.id, file_uploader_state_value=FileUploaderState(
            uploaded_file_info=[UploadedFileInfo(name=name, size=len(data),
                                                 file_id=urls.file_id, file_urls=urls)]))
        self.states[widget.id] = state
        self.rerun(self.fragments.get(key, ""))


def photo(i: int, size=(1600, 1200)) -> bytes:
    """A different photo-like JPEG each time (smooth colour fields plus noise), ~1-2 MB."""
    rng = np.random.default_rng(i)
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    channels = [np.sin(rng.uniform(2, 9) * x + rng.uniform(0, 6)) +
                np.cos(rng.uniform(2, 9) * y + rng.uniform(0, 6)) for _ in range(3)]
    picture = (np.stack(channels, -1) + 2) * 60 + rng.normal(0, 12, (h, w, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def settings():
    """(k, weight) pairs in an order that never repeats the previous pair's result."""
    for weight, k in itertools.product(WEIGHTS, K_VALUES):
        yield k, weight


def check_run(student: Student, k: int) -> None:
    if student.result.exceptions:
        raise RuntimeError(f"{student.result.exceptions} exception element(s) on the page")
    if student.segment_rows != k:
        raise RuntimeError(f"the table has {student.segment_rows} segment rows, not k={k}")


def start_server(log_dir: Path, results_mb: int | None, features_mb: int | None = None):
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from conftest import start_streamlit  # noqa: PLC0415 - shared with the browser tests

    if results_mb is not None:
        os.environ["SEGMENT_RESULTS_MB"] = str(results_mb)
    if features_mb is not None:
        os.environ["SEGMENT_FEATURES_MB"] = str(features_mb)
    return start_streamlit(REPO_ROOT / "app.py", log_dir / "server.log", cwd=REPO_ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fill", type=int, default=100, help="changes to fill the caches (100)")
    parser.add_argument("--changes", type=int, default=200, help="parameter changes (200)")
    parser.add_argument("--uploads", type=int, default=50, help="uploads in a row (50)")
    parser.add_argument("--results-mb", type=int, default=None,
                        help="the server's k-means results budget (default: the app's)")
    parser.add_argument("--features-mb", type=int, default=None,
                        help="the server's feature-matrix budget (default: the app's)")
    parser.add_argument("--max-growth-mb", type=float, default=200)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from conftest import stop_process  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as log_dir:
        process, base_url = start_server(Path(log_dir), args.results_mb, args.features_mb)
        rss = lambda: MemorySampler.rss(process.pid) / MB  # noqa: E731
        started = time.monotonic()
        try:
            student = Uploader(base_url, {"sample": "astronaut", "k": 4}, time.monotonic() + 7200,
                               SessionResult())
            student.open()
            student.rerun()
            student.wait_for_run()
            print(f"server {base_url} (pid {process.pid}); after the first result: "
                  f"{rss():.0f} MB resident")
            pairs = settings()

            def change() -> None:
                k, weight = next(pairs)
                student.move_slider("position_weight", weight)
                student.wait_for_run()
                student.move_slider("k", float(k))
                student.wait_for_run()
                check_run(student, k)

            for _ in range(args.fill):
                change()
            baseline = rss()
            print(f"caches filled ({args.fill} changes): {baseline:.0f} MB resident")
            for _ in range(args.changes):
                change()
            after_changes = rss()
            print(f"after {args.changes} more changes: {after_changes:.0f} MB")
            k = student.segment_rows
            student.choose("image_source", "Upload")  # the sidebar's source: the uploader
            student.wait_for_run()
            for i in range(args.uploads):
                data = photo(i)
                student.upload("upload", f"photo-{i}.jpg", data, "image/jpeg")
                student.wait_for_run()
                check_run(student, k)
            after = rss()
            print(f"after {args.uploads} uploads of ~{len(photo(0)) / MB:.1f} MB: {after:.0f} MB")
            growth = after - baseline
            print(f"growth over the filled caches: {growth:+.0f} MB (limit {args.max_growth_mb:.0f}); "
                  f"{time.monotonic() - started:.0f} s in all")
            student.close()
            return 0 if growth <= args.max_growth_mb else 1
        finally:
            stop_process(process)


if __name__ == "__main__":
    sys.exit(main())
