"""Shared fixtures: a real Streamlit server and a real Chromium for the browser tests.

The browser tests (``tests/test_browser.py``, marker ``browser``) run the app
the way a student meets it: ``streamlit run app.py`` in a subprocess, driven by
Playwright in Debian's headless Chromium at ``/usr/bin/chromium``. We never run
``playwright install``: the tests use the system browser or none.

Without ``/usr/bin/chromium`` (or without the ``playwright`` package) the
browser tests are skipped with a visible reason, except when the environment
says a browser is required (``REQUIRE_BROWSER=1`` or ``CI=true``): then they
fail, so a CI run can never pass by silently skipping them.

Waiting follows Streamlit's own end-to-end tests
(``e2e_playwright/shared/app_utils.py``): the root element
``[data-testid="stApp"]`` carries ``data-test-connection-state`` (``CONNECTED``
once the websocket is up) and ``data-test-script-state`` (``notRunning`` when
no script run is in progress); both attribute names were checked against the
frontend bundled with Streamlit 1.67.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")

# Flags for Chromium in containers and CI: no sandbox (we run as root), no GPU,
# /tmp instead of a small /dev/shm, and none of the background traffic
# (updates, sync, QUIC) that a closed network would only make slow.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

SERVER_START_TIMEOUT_S = 60  # streamlit start-up: imports + first health answer
# One script run on a noisy 2-core machine, with margin: the first run of a
# session loads the sample, segments it and builds the animation (~20 s seen).
APP_TIMEOUT_MS = 90_000

LAPTOP_VIEWPORT = {"width": 1366, "height": 900}  # the default of `new_page`

# Where pytest's terminal summary finds the screenshots the session saved.
SCREENSHOTS = pytest.StashKey[Path]()

# Selectors of Streamlit's frontend (data-testid values of Streamlit 1.67).
APP_ROOT = '[data-testid="stApp"]'
LOADING = ('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"], '
           '[data-testid="stSpinner"]')


def browser_required() -> bool:
    """True when a missing browser must fail the tests instead of skipping them."""
    return (os.environ.get("REQUIRE_BROWSER", "") == "1"
            or os.environ.get("CI", "").lower() == "true")


def skip_or_fail(reason: str):
    """Skip with ``reason``, or fail with it when a browser is required."""
    if browser_required():
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1 or CI=true: browser tests must run)",
                    pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port that was free a moment ago (the OS picks it for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health_ok(url: str) -> bool:
    """Whether Streamlit's health endpoint answers "ok"."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start_streamlit(script: Path, log_path: Path, *, cwd: Path) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run script`` on a free local port; wait until it is healthy.

    Parameters
    ----------
    script : Path
        The Streamlit script.
    log_path : Path
        File receiving the server's stdout and stderr.
    cwd : Path
        Working directory of the server (the app's relative paths start here).

    Returns
    -------
    (subprocess.Popen, str)
        The running server and its base URL, e.g. ``"http://127.0.0.1:8765"``.

    Raises
    ------
    RuntimeError
        If the server exits or is not healthy within ``SERVER_START_TIMEOUT_S``;
        the message contains the end of the server log.
    """
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    env = dict(os.environ, PYTHONUNBUFFERED="1", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    with open(log_path, "wb") as log:  # the child keeps its own handle
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _health_ok(f"{url}/_stcore/health"):
            return process, url
        time.sleep(0.2)  # polling a start-up, not waiting on the app under test
    stop_process(process)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"streamlit did not become healthy within {SERVER_START_TIMEOUT_S} s "
                       f"(exit code {process.returncode}); log {log_path}:\n{tail}")


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a process politely, then kill it if it does not stop within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_app(page, *, timeout: float = APP_TIMEOUT_MS, settle_ms: int = 250) -> None:
    """Wait until the Streamlit app is connected, idle and fully rendered.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A page showing the app.
    timeout : float, optional
        Milliseconds allowed for each condition.
    settle_ms : int, optional
        A short first pause: a widget change reaches the server asynchronously,
        so right after an interaction the app can still say ``notRunning``
        from the previous run (Streamlit's e2e helper pauses 210 ms for the
        same reason). Tests must still wait for the expected *result* with
        ``expect(...)``; this only avoids racing ahead.

    Raises
    ------
    playwright.sync_api.TimeoutError
        If a condition is not met within ``timeout``.
    """
    from playwright.sync_api import expect

    if settle_ms:
        page.wait_for_timeout(settle_ms)
    page.wait_for_selector(f'{APP_ROOT}[data-test-connection-state="CONNECTED"]',
                           state="attached", timeout=timeout)
    page.wait_for_selector(f'{APP_ROOT}[data-test-script-state="notRunning"]',
                           state="attached", timeout=timeout)
    expect(page.locator(LOADING)).to_have_count(0, timeout=timeout)


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    """Base URL of a real ``streamlit run app.py`` started from the repository root.

    The server's output is kept in ``<pytest tmp>/streamlit-server*/server.log``
    for debugging; the path is printed when the server is stopped.
    """
    app = REPO_ROOT / "app.py"
    if not app.is_file():
        pytest.fail(f"{app} does not exist, nothing to test in the browser", pytrace=False)
    log_path = tmp_path_factory.mktemp("streamlit-server") / "server.log"
    try:
        process, url = start_streamlit(app, log_path, cwd=REPO_ROOT)
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield url
    finally:
        stop_process(process)
        print(f"\nstreamlit server log: {log_path}")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright, shared by the whole session."""
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} not found: install Debian's chromium package to run the "
                     "browser tests (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed "
                     "(pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser):
    """Factory of fresh pages (own context: own cookies, own Streamlit session).

    ``new_page(viewport)`` returns a page; every page is closed after the test.
    JavaScript errors in the page are collected in ``page.js_errors``.
    """
    contexts = []

    def _new_page(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or LAPTOP_VIEWPORT)
        context.set_default_timeout(APP_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def app_page(new_page, streamlit_server):
    """A laptop-sized page with the app loaded and idle."""
    page = new_page(LAPTOP_VIEWPORT)
    page.goto(streamlit_server, wait_until="domcontentloaded")
    wait_for_app(page)
    return page


@pytest.fixture(scope="session")
def screenshot_dir(request, tmp_path_factory):
    """Folder for screenshots; every PNG saved in it is listed at the end of the run."""
    folder = tmp_path_factory.mktemp("screenshots")
    request.config.stash[SCREENSHOTS] = folder
    return folder


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """List the screenshots taken by the browser tests, so they are easy to open."""
    folder = config.stash.get(SCREENSHOTS, None)
    shots = sorted(folder.glob("*.png")) if folder is not None else []
    if shots:
        terminalreporter.section("screenshots")
        for shot in shots:
            terminalreporter.write_line(str(shot))


@pytest.fixture(name="wait_for_app")
def wait_for_app_fixture():
    """The :func:`wait_for_app` helper, for tests (conftest is not importable by name)."""
    return wait_for_app


@pytest.fixture
def fresh_server(tmp_path):
    """Factory: ``fresh_server()`` starts a new ``streamlit run app.py`` and returns its URL.

    For tests of what the first visitor of a server sees (nothing warmed up,
    navigation not yet run in the process); every server started is stopped
    after the test.
    """
    processes = []

    def _start() -> str:
        log_path = tmp_path / f"fresh-server-{len(processes)}.log"
        try:
            process, url = start_streamlit(REPO_ROOT / "app.py", log_path, cwd=REPO_ROOT)
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        processes.append(process)
        return url

    yield _start
    for process in processes:
        stop_process(process)


@pytest.fixture
def recorded_downloads(monkeypatch):
    """File name -> payload builder of every download button drawn from now on.

    Buttons get callables Streamlit runs only on a click; recording them where
    Streamlit registers them gives the exact bytes a click serves.
    """
    from streamlit.runtime.media_file_manager import MediaFileManager

    builders = {}
    register = MediaFileManager.add_deferred

    def recording(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        builders[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", recording)
    return builders
