"""Server CPU per rerun when the result is already cached (issue 10, "cheap reruns").

One protocol-level session (the :class:`Student` of ``bench/classroom.py``:
HTTP with cookies, then Streamlit's websocket) opens a link, waits for the
first result, then repeats moves whose results are all cached after their
first time:

* ``same``: a rerun with no widget changed (what a reconnect or a click on a
  widget that changes nothing costs);
* ``k``: the k slider between two values;
* ``opacity``: the overlay opacity slider between two values;
* ``new result``: for scale, a move whose result is *not* cached (the
  position weight to a value not seen before): k-means and every picture;
* with ``--pages``: the same no-change rerun on each page named (its url_path),
  after one visit has filled the caches.

For each move it reads the server's CPU time (user + system, from
``/proc/<pid>/stat``) before and after the run and reports the median over
the repeats, with the bytes the server sent. CPU time of the server process
is what 30 students share on a 2-core machine, and unlike wall time it is
not inflated by other processes on a noisy machine.

Usage::

    .venv/bin/python bench/rerun_cost.py                 # starts one `streamlit run app.py`
    .venv/bin/python bench/rerun_cost.py --repeats 20 --link "sample=astronaut&k=5&color=lab"
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classroom import (SAME_LINK, SessionResult, Student, cpu_seconds,  # noqa: E402
                       start_server)


def measure(student: Student, pid: int, move, repeats: int) -> tuple[float, float, int]:
    """Median server CPU seconds, median wall seconds and median bytes per rerun of ``move``."""
    move()  # the first time may compute; it is not counted
    student.wait_for_run()
    cpu, wall, sent = [], [], []
    for _ in range(repeats):
        time.sleep(0.3)  # let the server finish sending the last run's images
        before_cpu, before_bytes = cpu_seconds(pid), student.result.bytes_received
        start = time.monotonic()
        move()
        student.wait_for_run()
        wall.append(time.monotonic() - start)
        time.sleep(0.2)  # CPU spent after script_finished (closing the run) counts too
        cpu.append(cpu_seconds(pid) - before_cpu)
        sent.append(student.result.bytes_received - before_bytes)
    return statistics.median(cpu), statistics.median(wall), int(statistics.median(sent))


def alternate(student: Student, key: str, values: tuple[float, float]):
    """A move that sets slider ``key`` to the other of two values each time."""
    state = {"i": 0}

    def move() -> None:
        state["i"] += 1
        student.move_slider(key, values[state["i"] % 2])

    return move


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=12, help="reruns per move (12)")
    parser.add_argument("--link", default="&".join(f"{k}={v}" for k, v in SAME_LINK.items()),
                        help="query string of the page opened")
    parser.add_argument("--pages", default="",
                        help="comma-separated url_paths of other pages to measure too "
                             "(e.g. choosing_k,compare,starts)")
    parser.add_argument("--url", help="an already running server (then give --pid)")
    parser.add_argument("--pid", type=int, help="its process id")
    args = parser.parse_args(argv)

    link = dict(parse_qsl(args.link))
    process = None
    with tempfile.TemporaryDirectory() as log_dir:
        if args.url:
            base_url, pid = args.url, args.pid
        else:
            process, base_url = start_server(Path(log_dir))
            pid = process.pid
        try:
            result = SessionResult()
            student = Student(base_url, link, time.monotonic() + 600, result)
            student.open()
            student.rerun()
            student.wait_for_run()
            k = int(link.get("k", 4))
            moves = {
                "same (no change)": student.rerun,
                "k slider": alternate(student, "k", (float(k + 1), float(k))),
                "opacity slider": alternate(student, "explore_opacity", (0.3, 0.5)),
            }
            print(f"server {base_url} (pid {pid}); link ?{args.link}; "
                  f"median of {args.repeats} cached reruns each")
            print(f"{'move':<20} {'server CPU':>11} {'wall':>8} {'bytes sent':>11}")
            for name, move in moves.items():
                cpu, wall, sent = measure(student, pid, move, args.repeats)
                print(f"{name:<20} {1000 * cpu:>8.0f} ms {1000 * wall:>5.0f} ms {sent:>11,}",
                      flush=True)
            # For scale: a move whose result is new each time (the position weight
            # walks through its slider's values), k-means and every picture computed.
            weights = iter([round(0.05 * i, 2) for i in range(41) if round(0.05 * i, 2) != 0.3])
            fresh = lambda: student.move_slider("position_weight", next(weights))  # noqa: E731
            student.move_slider("k", float(k))  # back to the link's k
            student.wait_for_run()
            cpu, wall, sent = measure(student, pid, fresh, min(args.repeats, 30))
            print(f"{'new result':<20} {1000 * cpu:>8.0f} ms {1000 * wall:>5.0f} ms {sent:>11,}",
                  flush=True)
            for page in filter(None, args.pages.split(",")):
                student.page_name, student.page_script_hash = page, ""
                cpu, wall, sent = measure(student, pid, student.rerun, args.repeats)
                print(f"{'page ' + page:<20} {1000 * cpu:>8.0f} ms {1000 * wall:>5.0f} ms "
                      f"{sent:>11,}", flush=True)
            student.close()
        finally:
            if process is not None:
                sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
                from conftest import stop_process  # noqa: PLC0415

                stop_process(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
