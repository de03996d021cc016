"""The serving recipes of ``deploy/``: replicas behind nginx, and the Kubernetes manifests.

``test_serve_local_*`` (marker ``browser``) runs ``deploy/serve-local.sh 2 PORT``
(two ``streamlit run`` replicas behind Debian's nginx, configured in a temporary
directory) and passes the browser smoke test through nginx: page, segmented
picture, a k change over the websocket, no exception; then the headers, gzip,
the upload limit, sticky sessions per cookie, and that SIGTERM leaves no
process behind. Without ``/usr/sbin/nginx`` it is skipped, or fails when a
browser is required (``REQUIRE_BROWSER=1`` or ``CI=true``, as in conftest).

The manifest tests parse ``deploy/kubernetes/*.yaml`` and check the settings
the README promises (replicas, cookie affinity, probes, the shared cookie
secret, resources, the upload size matching ``server.maxUploadSize``).
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import signal
import socket
import subprocess
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import free_port, skip_or_fail, wait_for_app

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under REQUIRE_BROWSER)
    expect = None

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVE = REPO_ROOT / "deploy" / "serve-local.sh"
KUBERNETES = REPO_ROOT / "deploy" / "kubernetes"
NGINX = Path("/usr/sbin/nginx")
START_TIMEOUT_S = 90  # two replicas importing at once on a busy 2-core machine
TIMEOUT_MS = 60_000

K_SLIDER = '.st-key-k [data-testid="stSlider"]'
PICTURE = '[data-testid="stMain"] [data-testid="stImage"] img'
EXCEPTION = '[data-testid="stException"]'
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "SAMEORIGIN",
    "content-security-policy": "frame-ancestors 'self'",
}


def max_upload_mb() -> int:
    """server.maxUploadSize of the app's .streamlit/config.toml (Streamlit's default: 200)."""
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    return int(config.get("server", {}).get("maxUploadSize", 200))


# --- deploy/serve-local.sh -------------------------------------------------------------

def consecutive_free_ports(count: int) -> int:
    """A port p such that p .. p + count - 1 were all free a moment ago."""
    for _ in range(50):
        first = free_port()
        if first + count > 65535:
            continue
        try:
            sockets = []
            for port in range(first, first + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports found")


def get(url: str, cookie: str = "", encoding: str = "identity"):
    """GET ``url``; return (status, headers with lower-case names, body as received)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding,
                                                   **({"Cookie": cookie} if cookie else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status, headers, response.read()


def route_cookie(headers: dict) -> str:
    """The ``route=...`` pair of nginx's Set-Cookie header."""
    match = re.search(r"route=(r[0-9]+)", headers.get("set-cookie", ""))
    assert match, f"no route cookie in {headers.get('set-cookie')!r}"
    return match.group(0)


def process_group_alive(pgid: int) -> bool:
    """Whether any process of the group still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def serve_local(tmp_path):
    """Factory: ``serve_local(n)`` runs ``deploy/serve-local.sh n PORT``; returns
    (base URL, process, log path) once nginx answers.

    The script runs in its own process group, as a terminal's foreground job
    would; whatever a test leaves running is killed with the group at the end.
    """
    if not NGINX.exists():
        skip_or_fail(f"{NGINX} not found: install Debian's nginx package to test "
                     "deploy/serve-local.sh (apt-get install nginx)")
    processes = []

    def _start(replicas: int):
        port = consecutive_free_ports(replicas + 1)
        log_path = tmp_path / f"serve-local-{len(processes)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(["bash", str(SERVE), str(replicas), str(port)],
                                       cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while "serving http" not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve-local.sh did not start within {START_TIMEOUT_S} s "
                            f"(exit code {process.poll()}):\n{log_path.read_text()[-3000:]}",
                            pytrace=False)
            time.sleep(0.3)  # polling a start-up
        for _ in range(50):  # nginx was started just before the line was printed
            try:
                if get(f"{url}/_stcore/health")[2] == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        return url, process, log_path

    yield _start
    for process in processes:
        if process_group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def assert_all_stopped(process, log_path: Path, url: str, expected_status: int) -> None:
    """The script exited with ``expected_status``; nginx and every replica are gone."""
    pids = [int(pid) for pid in re.findall(r"pid (\d+)", log_path.read_text())]
    assert process.wait(timeout=30) == expected_status
    deadline = time.monotonic() + 10
    while process_group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)  # nginx's worker may take a moment after its master
    assert not process_group_alive(process.pid)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists()
    with pytest.raises(OSError):
        get(url + "/_stcore/health")


def two_routes(url: str) -> dict[str, str]:
    """Replica address -> the route cookie nginx gave a new visitor it sent there.

    Ten new visitors (no cookie, no open connection) must be shared out evenly:
    a class arriving at once is balanced, not hashed at random (which split 30
    students 9/21 in one measured run).
    """
    routes, counts = {}, {}
    for _ in range(10):
        status, headers, _ = get(url + "/")
        assert status == 200
        replica = headers["x-replica"]
        counts[replica] = counts.get(replica, 0) + 1
        routes.setdefault(replica, route_cookie(headers))
    assert sorted(counts.values()) == [5, 5], counts
    assert len(set(routes.values())) == 2  # each replica has its own cookie value
    return routes


@pytest.mark.browser
def test_serve_local_through_nginx(serve_local, browser):
    """Two replicas behind nginx: smoke test per replica, sticky cookies, headers, gzip, limits,
    and SIGTERM stops every process of the recipe."""
    url, process, log_path = serve_local(2)

    # Each replica gets its share of the cores as k-means slots, one thread per run.
    share = max(1, len(os.sched_getaffinity(0)) // 2)
    for pid in re.findall(r"replica \d+: pid (\d+)", log_path.read_text()):
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"SEGMENT_SLOTS={share}".encode() in environ
        assert b"SEGMENT_THREADS=1" in environ

    # Security headers on the page, a static JS bundle gzip-encoded (Streamlit sends it raw).
    status, headers, body = get(url + "/")
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name
    assert "camera=(self)" in headers["permissions-policy"]
    bundle = re.search(rb'src="\.?/?(static/js/index\.[^"]+\.js)"', body).group(1).decode()
    _, raw_headers, raw = get(f"{url}/{bundle}")
    _, gz_headers, compressed = get(f"{url}/{bundle}", encoding="gzip")
    assert gz_headers.get("content-encoding") == "gzip"
    assert raw_headers.get("content-encoding") is None
    assert gzip.decompress(compressed) == raw
    assert len(compressed) < len(raw) / 2
    print(f"\n{bundle}: {len(raw)} bytes raw, {len(compressed)} bytes gzip through nginx")

    # Uploads: a body larger than server.maxUploadSize (+1 MB envelope) is refused by nginx
    # from its Content-Length alone (no body is sent).
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
    connection.putrequest("PUT", "/_stcore/upload_file/x/y")
    connection.putheader("Content-Length", str((max_upload_mb() + 2) * 2**20))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()

    # Two new visitors (different cookies) that nginx sent to different replicas: each page
    # works through nginx and every response it gets comes from its own replica.
    routes = two_routes(url)
    for replica, cookie in routes.items():
        name, value = cookie.split("=")
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        try:
            context.set_default_timeout(TIMEOUT_MS)
            context.add_cookies([{"name": name, "value": value, "url": url}])
            page = context.new_page()
            seen = []
            page.on("response", lambda response: seen.append(response.headers.get("x-replica")))
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url + "/?sample=coins&k=3", wait_until="domcontentloaded")
            wait_for_app(page, timeout=TIMEOUT_MS)
            expect(page.locator(PICTURE).first).to_be_visible(timeout=TIMEOUT_MS)
            # The statistics: one body row per segment (st.table or an HTML table).
            rows = page.locator('[data-testid="stMain"] table').filter(
                has_text="compactness").locator("tbody tr")
            expect(rows).to_have_count(3, timeout=TIMEOUT_MS)
            thumb = page.locator(K_SLIDER).get_by_role("slider")
            thumb.focus()
            page.keyboard.press("ArrowRight")  # a rerun over the websocket, through nginx
            expect(thumb).to_have_value("4")
            wait_for_app(page, timeout=TIMEOUT_MS)
            expect(rows).to_have_count(4, timeout=TIMEOUT_MS)
            expect(page.locator(EXCEPTION)).to_have_count(0)
            assert errors == []
            replicas = {value for value in seen if value}
            assert replicas == {replica}, f"{cookie} was served by {replicas}"
            assert len(seen) >= 5  # the page, its bundles, health, host config, media
        finally:
            context.close()

    # SIGTERM to the script stops nginx and both replicas: nothing of the group remains.
    assert len(re.findall(r"pid (\d+)", log_path.read_text())) == 3  # 2 replicas, nginx
    process.send_signal(signal.SIGTERM)
    assert_all_stopped(process, log_path, url, 143)


@pytest.mark.browser
def test_serve_local_stops_on_ctrl_c(serve_local):
    """Ctrl-C in a terminal (SIGINT to the whole foreground group) stops nginx and the replica."""
    url, process, log_path = serve_local(1)
    assert get(url + "/_stcore/health")[2] == b"ok"
    os.killpg(process.pid, signal.SIGINT)
    assert_all_stopped(process, log_path, url, 130)


# --- deploy/kubernetes/ ----------------------------------------------------------------

@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    """Every Kubernetes object of deploy/kubernetes/*.yaml, by kind."""
    objects = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and "kind" in document and document["kind"] != "Kustomization":
                assert document["kind"] not in objects, f"two {document['kind']} objects"
                objects[document["kind"]] = document
    return objects


def test_manifests_have_the_four_objects(manifests):
    """The layout: a Deployment, its Service, an Ingress and the cookie Secret."""
    assert set(manifests) == {"Deployment", "Service", "Ingress", "Secret"}
    for document in manifests.values():
        assert document["metadata"]["name"] == "kmeans-lesson"


def test_deployment_replicas_probes_secret_and_resources(manifests):
    """N >= 2 replicas; probes on /_stcore/health; the cookie secret from the Secret;
    requests and limits set, the memory limit above the request."""
    deployment = manifests["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    port = container["ports"][0]["containerPort"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/_stcore/health", "port": port}
    # The app's modules are imported before the pod is ready (ui/preload.py).
    assert container["command"][:4] == ["python", "deploy/preloaded_streamlit.py", "run", "app.py"]
    assert (REPO_ROOT / container["command"][1]).is_file()
    env = {variable["name"]: variable for variable in container["env"]}
    secret_ref = env["STREAMLIT_SERVER_COOKIE_SECRET"]["valueFrom"]["secretKeyRef"]
    assert secret_ref["name"] == manifests["Secret"]["metadata"]["name"]
    assert secret_ref["key"] in manifests["Secret"]["stringData"]
    resources = container["resources"]
    assert set(resources) == {"requests", "limits"}
    mebibytes = {kind: int(resources[kind]["memory"].removesuffix("Mi")) for kind in resources}
    assert 0 < mebibytes["requests"] < mebibytes["limits"]
    assert resources["requests"]["cpu"] == "1"  # one Streamlit process uses one core
    # As many k-means runs at once as the pod has cores requested: the rest queue.
    assert env["SEGMENT_SLOTS"]["value"] == resources["requests"]["cpu"]
    assert env["SEGMENT_THREADS"]["value"] == "1"  # its one core: one thread per run


def test_service_and_ingress_route_to_the_pods(manifests):
    """Service selects the pods' labels; the Ingress sends every path to the Service."""
    deployment, service, ingress = (manifests[kind] for kind in ("Deployment", "Service",
                                                                   "Ingress"))
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["containerPort"]
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert path["path"] == "/" and path["pathType"] == "Prefix"
    assert path["backend"]["service"]["name"] == service["metadata"]["name"]
    assert path["backend"]["service"]["port"]["number"] == service["spec"]["ports"][0]["port"]


def test_ingress_has_cookie_affinity_websockets_and_upload_size(manifests):
    """ingress-nginx: sticky cookie (not client address), long websocket timeouts, and the
    request body limit = server.maxUploadSize + 1 MB, as in serve-local.sh."""
    annotations = manifests["Ingress"]["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "affinity"] == "cookie"
    assert annotations[prefix + "affinity-mode"] == "persistent"
    assert annotations[prefix + "session-cookie-name"] == "route"
    assert annotations[prefix + "proxy-body-size"] == f"{max_upload_mb() + 1}m"
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[prefix + timeout]) >= 3600
    assert manifests["Ingress"]["spec"]["ingressClassName"] == "nginx"
