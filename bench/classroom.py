"""A whole class at once: N protocol-level Streamlit sessions against one server (issue 10).

Each simulated student does what a browser does, minus the drawing:

1. ``GET /`` and ``GET /_stcore/health`` over HTTP, keeping the cookies (nginx's
   ``route`` cookie when served by ``deploy/serve-local.sh``; Streamlit's
   ``_streamlit_xsrf``);
2. opens the websocket ``/_stcore/stream`` (subprotocols ``streamlit`` and the
   XSRF token, the Origin of the page, the cookies) and sends a ``BackMsg``
   ``rerun_script`` whose ``ClientState`` carries the link's query string, as
   the frontend does on connect;
3. reads ``ForwardMsg`` protobufs until ``script_finished``: that is the time to
   the first result. On the way it records every widget's id (the ids end with
   the widget's ``key``) and fetches the ``/media/`` images the run produced;
4. moves two sliders, one rerun each (the ``k`` slider: a new k-means run; then
   the overlay opacity ``explore_opacity``: a rerun on a cached result), each a
   ``rerun_script`` whose ``WidgetStates`` hold the changed values, as the
   frontend's WidgetStateManager sends them, timed to ``script_finished``.

Two cases, all sessions arriving at once (a barrier): **distinct** (every
student its own sample, colour space and k from the query string) and **same**
(everyone opens the same link and moves the sliders to the same values; after
the first, every result comes from the cache).

Reported per case: p50 / p95 time to the first result and per step, bytes per
session (HTTP bodies as received plus websocket messages as decoded; the
client advertises no cached messages, so the server resends what a browser
would have cached), errors (timeouts, HTTP or protocol failures, a run that
lacks the widgets), exception elements (``st.exception`` deltas: the page's
tracebacks), the servers' peak resident memory, sampled from
``/proc/<pid>/status`` every 0.2 s, and the servers' CPU time per session
(user + system from ``/proc/<pid>/stat`` before and after the case). Wall times
on a shared machine depend on what else runs: the report also gives the load
average before the case, and the CPU time per session, which does not.

Usage::

    .venv/bin/python bench/classroom.py                       # starts one `streamlit run app.py`
    .venv/bin/python bench/classroom.py --sessions 3 --steps 1 --case distinct
    deploy/serve-local.sh 2 8080 &                            # prints the replicas' pids
    .venv/bin/python bench/classroom.py --url http://127.0.0.1:8080 --pids 1234,1235
    .venv/bin/python bench/classroom.py --url ... --pids ... --case distinct --repeat 10

With ``--repeat N`` every case runs N times against the same servers, each
round with a new ``seed`` in every link (the same pictures and settings, no
result cached yet; only the feature matrices, keyed on picture and features,
are reused: about 2 % of a student's CPU), then a summary per case: the
median, range and count within target of the runs' p95 per step, and the
median CPU time per session.

Every case is bounded by ``--timeout`` seconds (default 300): sessions still
running then are counted as errors. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pyarrow as pa

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.sync.client import connect

from segmentation.params import COLOR_SPACES, K_RANGE
from segmentation.samples import SAMPLES

REPO_ROOT = Path(__file__).resolve().parents[1]

SAMPLE_KEYS = tuple(sample.key for sample in SAMPLES)
# "none" alone selects no feature: a warning, no result.
COLORS = tuple(color for color in COLOR_SPACES if color != "none")
SAME_LINK = {"sample": "astronaut", "k": 5, "color": "lab"}
K_KEY, OPACITY_KEY = "k", "explore_opacity"  # the two sliders moved (widget keys)
# Issue 10's targets for the p95 per step, 30 students through the local replicas.
STEP_TARGET_S = {"distinct": 5.0, "same": 2.0}
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
HTTP_TIMEOUT_S = 60


@dataclass
class SessionResult:
    """What one simulated student saw."""

    replica: str = ""  # X-Replica of the first page load (nginx), "" direct
    first_result_s: float | None = None  # GET / -> first script_finished
    step_s: list[float] = field(default_factory=list)  # each slider move -> script_finished
    bytes_received: int = 0  # HTTP bodies + websocket messages
    exceptions: int = 0  # st.exception elements in any run
    queued: bool = False  # saw "Queued: n k-means runs ahead of yours" (ui/cache.py)
    error: str = ""  # why the session failed, "" if it did not


def session_links(n: int, case: str, round_: int = 0) -> list[dict]:
    """The query parameters of each session: distinct settings, or one shared link.

    Distinct: with S samples and C colour spaces, session i gets sample i mod S,
    colour (i + i // S) mod C and k = 2 + 5i mod 9 (then one more for the
    slider); with 12 samples and 4 colour spaces no two of the first 48
    sessions share all three.

    ``round_`` > 0 (a repeated run against the same servers) adds
    ``seed=round_``: the same pictures and settings with another k-means++
    start, so no result is in the servers' caches yet and the work is alike.
    """
    if case == "same":
        links = [dict(SAME_LINK) for _ in range(n)]
    else:
        links = [{"sample": SAMPLE_KEYS[i % len(SAMPLE_KEYS)],
                  "color": COLORS[(i + i // len(SAMPLE_KEYS)) % len(COLORS)],
                  "k": K_RANGE[0] + (5 * i) % 9} for i in range(n)]
    if round_:
        for link in links:
            link["seed"] = round_
    return links


class Student:
    """One protocol-level session: HTTP with cookies, then the websocket."""

    def __init__(self, base_url: str, link: dict, deadline: float, result: SessionResult):
        self.base_url = base_url.rstrip("/")
        self.link = link
        self.deadline = deadline
        self.result = result
        self.cookies = http.cookiejar.CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.query_string = urlencode(link)
        self.page_script_hash = ""
        self.page_name = ""  # url_path of the page to open ("": the default page)
        self.session_id = ""  # the server's id of this session (new_session message)
        self.widgets: dict[str, object] = {}  # widget key -> its element proto (last run)
        self.fragments: dict[str, str] = {}  # widget key -> id of the fragment drawing it
        self.states: dict[str, WidgetState] = {}  # widget id -> value we set
        self.segment_rows = 0  # rows of the segment-statistics table of the last run
        self.fetched: set[str] = set()  # picture URLs already fetched (the browser's cache)
        self.socket = None
        self._closing = contextlib.ExitStack()  # closes the websocket

    def get(self, path: str) -> bytes:
        """GET a path of the app (cookies kept); count the body; return it."""
        request = urllib.request.Request(self.base_url + path,
                                         headers={"Accept-Encoding": "gzip"})
        with self.http.open(request, timeout=HTTP_TIMEOUT_S) as response:
            body = response.read()
            if path.startswith("/?") or path == "/":
                self.result.replica = response.headers.get("X-Replica", "")
        self.result.bytes_received += len(body)
        return body

    def open(self) -> None:
        """The page, the health check (XSRF cookie), then the websocket."""
        self.get("/?" + self.query_string)
        self.get("/_stcore/health")
        cookies = {cookie.name: cookie.value for cookie in self.cookies}
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.socket = self._closing.enter_context(connect(
            f"{scheme}://{parts.netloc}/_stcore/stream",
            origin=f"{parts.scheme}://{parts.netloc}",
            subprotocols=["streamlit", cookies.get("_streamlit_xsrf", "")],
            additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
            max_size=None, open_timeout=HTTP_TIMEOUT_S))

    def rerun(self, fragment_id: str = "") -> None:
        """Send rerun_script with the query string and every widget value we set.

        A widget drawn inside an ``st.fragment`` reruns only that fragment, as
        in the browser; the page may then rerun the whole app itself.
        """
        state = ClientState(query_string=self.query_string, page_name=self.page_name,
                            page_script_hash=self.page_script_hash, fragment_id=fragment_id)
        state.widget_states.widgets.extend(self.states.values())
        message = BackMsg(rerun_script=state)
        self.socket.send(message.SerializeToString())

    def wait_for_run(self) -> None:
        """Read ForwardMsgs until a script run finishes; record widgets, images, exceptions."""
        images = []
        self.segment_rows = 0
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("case timeout before script_finished")
            data = self.socket.recv(timeout=remaining)
            self.result.bytes_received += len(data)
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._record(message.delta.new_element, message.delta.fragment_id, images)
            elif kind == "new_session":
                self.session_id = message.new_session.initialize.session_id
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "navigation":
                self.page_script_hash = message.navigation.page_script_hash
            elif kind == "script_finished":
                if message.script_finished in FINISHED:
                    break
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RuntimeError("script finished with a compile error")
                # FINISHED_EARLY_FOR_RERUN: another run follows; keep reading.
        for url in images:  # the browser fetches each new picture of the run
            if url not in self.fetched:  # a picture it already has comes from its memory
                self.get(url if url.startswith("/") else "/" + url)  # cache (same URL,
                self.fetched.add(url)  # same bytes: Streamlit names media by their hash)

    def _record(self, element, fragment_id: str, images: list) -> None:
        """Note an element: exceptions, the statistics table, pictures, widget ids."""
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.result.exceptions += 1
        elif kind == "alert" and element.alert.body.startswith("Queued:"):
            self.result.queued = True
        elif kind == "table":  # statistics as an st.table: a compactness column
            table = pa.ipc.open_stream(element.table.arrow_data.data).read_all()
            if any("compactness" in name for name in table.column_names):
                self.segment_rows = table.num_rows
        elif kind == "markdown" and "compactness" in element.markdown.body:
            body = element.markdown.body  # statistics as an HTML <table> in st.markdown
            if "<tbody" in body:
                self.segment_rows = body.split("<tbody", 1)[1].count("<tr")
        elif kind == "imgs":
            images.extend(image.url for image in element.imgs.imgs if "/media/" in image.url)
        elif kind is not None:
            widget = getattr(element, kind)
            widget_id = getattr(widget, "id", "")
            if widget_id:  # "$$ID-<hash>-<key>": the key is the last part
                key = widget_id.rsplit("-", 1)[-1]
                self.widgets[key] = widget
                self.fragments[key] = fragment_id

    def move_slider(self, key: str, value: float) -> None:
        """Set a slider to ``value`` (as the frontend does: a double array) and rerun."""
        if key not in self.widgets:
            raise LookupError(f"no widget with key {key!r} in the last run")
        widget = self.widgets[key]
        state = WidgetState(id=widget.id)
        state.double_array_value.data.append(value)
        self.states[widget.id] = state
        if widget.query_param_key:  # a URL-bound widget: the frontend rewrites the URL
            params = dict(parse_qsl(self.query_string))
            params[widget.query_param_key] = f"{value:g}"
            self.query_string = urlencode(params)
        self.rerun(self.fragments.get(key, ""))

    def close(self) -> None:
        self._closing.close()


def run_student(base_url: str, link: dict, steps: int, barrier: threading.Barrier,
                deadline: float, result: SessionResult) -> None:
    """One session from page load to its last step; failures land in ``result.error``."""
    student = Student(base_url, link, deadline, result)
    try:
        barrier.wait(timeout=60)
        start = time.monotonic()
        student.open()
        student.rerun()
        student.wait_for_run()
        result.first_result_s = time.monotonic() - start
        k = int(link["k"])
        if student.segment_rows != k:
            raise RuntimeError(f"first run: {student.segment_rows} segment rows, not k={k}")
        moves = [(K_KEY, float(k + 1 if k < K_RANGE[1] else k - 1)), (OPACITY_KEY, 0.3)][:steps]
        for key, value in moves:
            start = time.monotonic()
            student.move_slider(key, value)
            student.wait_for_run()
            result.step_s.append(time.monotonic() - start)
            if key == K_KEY and student.segment_rows != int(value):
                raise RuntimeError(f"k moved to {int(value)}, but the table has "
                                   f"{student.segment_rows} segment rows")
    except Exception as error:  # noqa: BLE001 - a load test counts every failure
        result.error = f"{type(error).__name__}: {error}"[:300]
    finally:
        try:
            student.close()
        except Exception:  # noqa: BLE001 - closing a broken socket
            pass


TICK_S = 1 / os.sysconf("SC_CLK_TCK")  # /proc/<pid>/stat counts CPU time in clock ticks


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime (fields 14, 15)


def load_average() -> float:
    """The machine's 1-minute load average (how busy it was before a case)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


class MemorySampler:
    """Peak resident memory of server processes, from /proc/<pid>/status, every 0.2 s."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.peak = {pid: 0 for pid in pids}  # pid -> peak VmRSS in bytes
        self.peak_total = 0  # peak of the sum over the pids at one instant
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = {pid: self.rss(pid) for pid in self.pids}
            for pid, size in sizes.items():
                self.peak[pid] = max(self.peak[pid], size)
            self.peak_total = max(self.peak_total, sum(sizes.values()))
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between ranks; nan if there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class CaseReport:
    """The figures of one case."""

    case: str
    sessions: int
    results: list[SessionResult]
    wall_s: float
    peak_rss: dict[int, int]
    peak_rss_total: int
    cpu_s: float = float("nan")  # the servers' CPU seconds during the case (nan: no pids)
    load_before: float = float("nan")  # 1-minute load average before the case

    @property
    def errors(self) -> list[str]:
        return [result.error for result in self.results if result.error]

    @property
    def exceptions(self) -> int:
        return sum(result.exceptions for result in self.results)

    def lines(self) -> list[str]:
        """The report, one line per figure."""
        first = [r.first_result_s for r in self.results if r.first_result_s is not None]
        steps = [s for r in self.results for s in r.step_s]
        mb = [r.bytes_received / 1e6 for r in self.results]

        def timing(name: str, values: list[float]) -> str:
            return (f"  {name:<13} p50 {percentile(values, 50):6.2f} s  "
                    f"p95 {percentile(values, 95):6.2f} s  "
                    f"max {max(values, default=float('nan')):6.2f} s  (n={len(values)})")

        out = [f"case {self.case}: {self.sessions} sessions at once, wall {self.wall_s:.1f} s "
               f"(load average before: {self.load_before:.2f})",
               timing("first result", first), timing("per step", steps),
               f"  bytes/session median {statistics.median(mb):.2f} MB, max {max(mb):.2f} MB",
               f"  errors {len(self.errors)}, exception elements {self.exceptions}",
               f"  sessions shown the k-means queue: {sum(r.queued for r in self.results)}"]
        replicas = sorted({r.replica for r in self.results if r.replica})
        if replicas:
            counts = (f"{rep} {sum(r.replica == rep for r in self.results)}" for rep in replicas)
            out.append("  sessions per replica: " + ", ".join(counts))
            for rep in replicas:  # an uneven share of the work shows as one slower replica
                mine = [s for r in self.results if r.replica == rep for s in r.step_s]
                out.append(f"    {rep}: per step p50 {percentile(mine, 50):.2f} s, "
                           f"p95 {percentile(mine, 95):.2f} s")
        if self.peak_rss:
            per_pid = ", ".join(f"pid {pid} {size / 2**20:.0f} MiB"
                                for pid, size in self.peak_rss.items())
            out.append(f"  server peak RSS: {per_pid}; total at one instant "
                       f"{self.peak_rss_total / 2**20:.0f} MiB")
            out.append(f"  server CPU: {self.cpu_s:.1f} s in all, "
                       f"{1000 * self.cpu_s / self.sessions:.0f} ms per session")
        out += [f"  error: {error}" for error in sorted(set(self.errors))[:5]]
        return out


def summary_lines(reports: list[CaseReport]) -> list[str]:
    """Medians over repeated runs of one case: on a shared machine one run is one draw.

    The per-step p95 of each run, its median, range and how many runs were
    within issue 10's targets (through the replicas: 5 s on distinct settings,
    2 s on the same link), and the servers' CPU time per session, which shows
    how fast the machine was in each run.
    """
    case = reports[0].case
    p95 = [percentile([s for r in report.results for s in r.step_s], 95) for report in reports]
    first = [percentile([r.first_result_s for r in report.results
                         if r.first_result_s is not None], 95) for report in reports]
    cpu = [1000 * report.cpu_s / report.sessions for report in reports]
    target = STEP_TARGET_S[case]
    known = all(value == value for value in cpu)  # no nan: the servers' pids were given
    runs = (f"{value:.2f}" + (f" ({ms:.0f} ms)" if known else "") for value, ms in zip(p95, cpu))
    out = [f"case {case} over {len(reports)} runs: per step p95 median "
           f"{statistics.median(p95):.2f} s (min {min(p95):.2f}, max {max(p95):.2f}); "
           f"within {target:g} s in {sum(value <= target for value in p95)} of {len(reports)}",
           f"  first result p95 median {statistics.median(first):.2f} s",
           "  runs' p95 per step" + (" (server CPU per session)" if known else "") + ": "
           + ", ".join(runs)]
    if known:
        out.append(f"  server CPU per session median {statistics.median(cpu):.0f} ms "
                   f"(min {min(cpu):.0f}, max {max(cpu):.0f})")
    return out


def run_case(base_url: str, case: str, sessions: int, steps: int, timeout_s: float,
             pids: list[int], round_: int = 0) -> CaseReport:
    """All sessions of one case at once, bounded by ``timeout_s`` (``round_``: session_links)."""
    results = [SessionResult() for _ in range(sessions)]
    barrier = threading.Barrier(sessions)
    start = time.monotonic()
    deadline = start + timeout_s
    threads = [threading.Thread(target=run_student, daemon=True,
                                args=(base_url, link, steps, barrier, deadline, result))
               for link, result in zip(session_links(sessions, case, round_), results)]
    load_before = load_average()
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    with MemorySampler(pids) as memory:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline + 30 - time.monotonic()))
    wall_s = time.monotonic() - start
    time.sleep(0.5)  # let the servers finish sending the last run's pictures
    cpu_s = sum(cpu_seconds(pid) for pid in pids) - cpu_before if pids else float("nan")
    for thread, result in zip(threads, results):
        if thread.is_alive() and not result.error:
            result.error = "TimeoutError: session still running after the case timeout"
    return CaseReport(case, sessions, results, wall_s, memory.peak, memory.peak_total,
                      cpu_s, load_before)


def start_server(log_dir: Path):
    """One ``streamlit run app.py`` on a free local port (the browser tests' helper)."""
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from conftest import start_streamlit  # noqa: PLC0415 - shared with the browser tests

    return start_streamlit(REPO_ROOT / "app.py", log_dir / "server.log", cwd=REPO_ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="students at once (30)")
    parser.add_argument("--steps", type=int, default=2, choices=(0, 1, 2),
                        help="sliders moved after the first result (2: k, then opacity)")
    parser.add_argument("--case", choices=("distinct", "same", "both"), default="both")
    parser.add_argument("--url", help="serve from this URL (e.g. serve-local.sh's nginx) "
                                      "instead of starting one process")
    parser.add_argument("--pids", default="", help="comma-separated server pids to sample "
                                                   "memory from (with --url)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per case (300)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each case, each with a new seed (nothing cached), then "
                             "their medians (1)")
    args = parser.parse_args(argv)

    cases = ["distinct", "same"] if args.case == "both" else [args.case]
    process = None
    with tempfile.TemporaryDirectory() as log_dir:
        if args.url:
            base_url, pids = args.url, [int(p) for p in args.pids.split(",") if p]
        else:
            process, base_url = start_server(Path(log_dir))
            pids = [process.pid]
        print(f"server {base_url}; {args.sessions} sessions, {args.steps} step(s), "
              f"timeout {args.timeout:.0f} s per case")
        failed = False
        reports: dict[str, list[CaseReport]] = {case: [] for case in cases}
        try:
            for round_ in range(args.repeat):
                for case in cases:
                    report = run_case(base_url, case, args.sessions, args.steps, args.timeout,
                                      pids, round_)
                    print("\n".join(report.lines()), flush=True)
                    failed |= bool(report.errors) or report.exceptions > 0
                    reports[case].append(report)
            if args.repeat > 1:
                for case in cases:
                    print("\n".join(summary_lines(reports[case])), flush=True)
        finally:
            if process is not None:
                from conftest import stop_process  # noqa: PLC0415

                stop_process(process)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
