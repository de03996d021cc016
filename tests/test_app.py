"""Tests of the Streamlit app (``app.py``, ``app_pages/``, ``ui/``) with Streamlit's AppTest.

AppTest runs the real scripts in this process without a browser: widgets are
set with ``set_value`` and the page is rerun with ``run()``. Things only a
browser does (Plotly playing frames, the address bar following bound widgets)
are out of its reach; the figures are tested in ``test_figures.py``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from segmentation import encode_png, segment
from segmentation.samples import SAMPLES, get_sample, load_sample
from segmentation.visualize import downscale_image
from ui import cache
from ui.controls import CONTROL_DEFAULTS, query_items, query_string
from ui.figures import MAX_FIGURE_BYTES
from ui.params import SegmentParams
from ui.state import image_digest

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "app_pages").glob("*.py"))
TIMEOUT = 120  # seconds; generous, the CI machine is small and shared


# --------------------------------------------------------------------------- #
# Fixtures
# --------------------------------------------------------------------------- #
@pytest.fixture
def app() -> AppTest:
    """The app, not yet run."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


@pytest.fixture
def landed(app) -> AppTest:
    """The app as a student first sees it, without touching anything."""
    return app.run()


@pytest.fixture
def wide_png() -> bytes:
    """A 900 x 600 PNG: four flat colour blocks, wider than the working resolution."""
    image = np.zeros((600, 900, 3), dtype=np.uint8)
    image[:300, :450] = (230, 60, 40)
    image[:300, 450:] = (40, 90, 220)
    image[300:, :450] = (250, 230, 80)
    image[300:, 450:] = (20, 20, 20)
    return encode_png(image)


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #
def stats_rows(at: AppTest):
    """The statistics table of the page (static HTML), as a DataFrame of its texts,
    with the ``segment`` and ``pixels`` columns as integers."""
    import xml.etree.ElementTree as ET

    import pandas as pd

    html = next(m.value for m in at.markdown if "<table>" in m.value)
    table = ET.fromstring(html).find("table")
    header = [th.text for th in table.find("thead").iter("th")]
    rows = [[td.text for td in tr.iter("td")] for tr in table.find("tbody").iter("tr")]
    frame = pd.DataFrame(rows, columns=header)
    for column in ("segment", "pixels"):
        frame[column] = frame[column].str.replace(",", "").astype(int)
    return frame


def working_caption(at: AppTest) -> str:
    """The sidebar caption that states the working resolution."""
    return next(c.value for c in at.sidebar.caption if c.value.startswith("Working at"))


def features_caption(at: AppTest) -> str:
    """The part of the page caption that describes the features, e.g. 'Features: RGB colour.'."""
    caption = next(c.value for c in at.main.caption if " Features: " in c.value)
    return caption[caption.index("Features: "):]


def share_text(at: AppTest) -> str:
    """The link shown under "Share these settings" (a markdown link to itself)."""
    text = next(m.value for m in at.markdown if m.value.startswith("["))
    return text[1:text.index("](")]


def plotly_spec(at: AppTest, key: str = "explore_convergence_chart") -> dict:
    """A Plotly figure of the page as JSON, exactly as sent to the browser."""
    chart = next(chart for chart in at.get("plotly_chart") if chart.proto.id.endswith(key)
                 or key in chart.proto.id)
    return json.loads(chart.proto.spec)


def curve_svg(at: AppTest) -> str:
    """The inertia curve of the first screen, as the SVG document sent to the browser."""
    import base64

    urls = [url for image in at.main.get("image") for url in image.value
            if url.startswith("data:image/svg+xml")]
    return base64.b64decode(urls[0].split(",", 1)[1]).decode("utf-8")


def show_animation(at: AppTest) -> AppTest:
    """Switch on the in-browser animation (built only on demand)."""
    return at.toggle(key="explore_animation").set_value(True).run()


def upload(at: AppTest, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    """Switch the sidebar to "Upload" and upload one file."""
    if at.radio(key="image_source").value != "upload":
        at.radio(key="image_source").set_value("upload").run()
    return at.file_uploader(key="upload").set_value((name, data, mime)).run()


# --------------------------------------------------------------------------- #
# Pages and landing
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_loads(app, page):
    # Each page, reached through the navigation, runs cleanly under the shared sidebar.
    app.run()
    app.switch_page(page).run()
    assert not app.exception
    assert [h.value for h in app.sidebar.header][0] == "Image"  # app.py's chooser is there
    assert app.title, f"{page} shows no title"


def test_landing_segments_default_sample(landed):
    # Without a click: astronaut, segmented with the defaults, 4 rows, animation ready.
    assert not landed.exception
    assert landed.selectbox(key="sample").value == "astronaut"
    assert working_caption(landed) == "Working at 512 x 512 px."
    table = stats_rows(landed)
    assert len(table) == 4
    assert table["pixels"].sum() == 512 * 512
    assert table["segment"].tolist() == [0, 1, 2, 3]
    assert landed.query_params.get("sample") == "astronaut"
    # The result first: the step control is on the last half-step, the converged result.
    n_iter = int({m.label: m.value for m in landed.metric}["Iterations run"])
    assert landed.select_slider(key="explore_step").value == 2 * n_iter
    assert not landed.get("plotly_chart")  # first-screen charts are SVG: no Plotly bundle


def test_landing_metrics_row(landed):
    # The summary metrics agree with a direct call of the package.
    image = downscale_image(load_sample("astronaut"), 512)
    expected = segment(image, **SegmentParams().segment_kwargs())
    metrics = {m.label: m.value for m in landed.metric}
    assert metrics["Iterations run"] == str(expected.n_iter)
    assert metrics["Converged"] == ("yes" if expected.converged else "no")
    assert metrics["Total inertia"] == f"{expected.inertia:.4g}"
    assert stats_rows(landed)["pixels"].tolist() == [s.pixel_count for s in expected.statistics]


def test_changing_k_changes_rows(landed):
    # k=6 gives six segments that still cover every pixel.
    landed.slider(key="k").set_value(6).run()
    table = stats_rows(landed)
    assert len(table) == 6
    assert table["pixels"].sum() == 512 * 512


def test_toggling_position_changes_labels(landed):
    # Position on (default) and off cluster differently: the segment sizes change.
    with_position = stats_rows(landed)["pixels"].tolist()
    landed.toggle(key="position").set_value(False).run()
    without_position = stats_rows(landed)["pixels"].tolist()
    assert len(without_position) == 4
    assert with_position != without_position
    assert features_caption(landed) == "Features: RGB colour."


def _main_controls_only():
    import streamlit as st  # noqa: F401 - AppTest runs this function as a script

    from ui.controls import RunOptions, main_controls

    main_controls(RunOptions(init="k-means++", seed=0, max_iter=100, tol=1e-4))


def test_main_control_keys_name_every_widget_main_controls_draws():
    # Explore's first screen reruns the whole page when these keys' values change
    # (ui.views._first_screen): a control missing from the list would leave the rest
    # of the page showing the old result.
    from ui.controls import MAIN_CONTROL_KEYS

    drawn = AppTest.from_function(_main_controls_only).run()
    assert not drawn.exception
    keys = {widget.key for kind in (drawn.slider, drawn.select_slider, drawn.selectbox,
                                    drawn.toggle, drawn.checkbox, drawn.radio,
                                    drawn.number_input, drawn.multiselect)
            for widget in kind}
    assert keys == set(MAIN_CONTROL_KEYS)


def test_opacity_and_k_recompute_only_what_changed(app, monkeypatch):
    # Opacity re-blends without k-means; k reruns k-means without reloading the image.
    calls = {"segment": 0, "load_sample": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(cache, "segment", counting("segment", cache.segment))
    monkeypatch.setattr(cache, "load_sample", counting("load_sample", cache.load_sample))
    cache.clear_caches()  # start cold, whatever ran before in this process
    app.run()
    assert calls == {"segment": 1, "load_sample": 1}
    app.slider(key="explore_opacity").set_value(0.8).run()
    assert calls == {"segment": 1, "load_sample": 1}
    app.slider(key="k").set_value(5).run()
    assert calls == {"segment": 2, "load_sample": 1}
    app.slider(key="k").set_value(4).run()  # back to a result computed before
    assert calls == {"segment": 2, "load_sample": 1}


# --------------------------------------------------------------------------- #
# Uploads
# --------------------------------------------------------------------------- #
def test_upload_png_is_segmented(landed, wide_png):
    # A 900 x 600 upload is shrunk to 512 x 341 and segmented; the URL forgets the sample.
    upload(landed, "blocks.png", wide_png)
    assert not landed.exception
    assert not landed.error
    assert working_caption(landed) == "Working at 512 x 341 px (downscaled from 900 x 600 for speed)."
    table = stats_rows(landed)
    assert len(table) == 4
    assert table["pixels"].sum() == 512 * 341
    assert "sample" not in landed.query_params
    assert "sample=" not in share_text(landed)


def test_garbage_upload_shows_error_and_keeps_image(landed):
    # Bytes that are no image: a readable st.error, and the astronaut stays.
    before = stats_rows(landed)["pixels"].tolist()
    upload(landed, "photo.png", b"this is not a picture at all")
    assert not landed.exception
    assert len(landed.error) == 1
    assert "not an image we can read" in landed.error[0].value
    assert working_caption(landed) == "Working at 512 x 512 px."
    assert stats_rows(landed)["pixels"].tolist() == before


def test_good_upload_survives_a_later_bad_one(landed, wide_png):
    # After a good upload, a bad one keeps the good upload on screen.
    upload(landed, "blocks.png", wide_png)
    upload(landed, "broken.png", wide_png[:200])  # truncated PNG
    assert len(landed.error) == 1
    assert working_caption(landed).startswith("Working at 512 x 341 px")


def test_camera_snapshot_is_segmented(landed, wide_png):
    # A camera picture goes through the same loader as an upload, and never into the URL.
    buffer = io.BytesIO()
    Image.open(io.BytesIO(wide_png)).save(buffer, format="JPEG")
    landed.radio(key="image_source").set_value("camera").run()
    landed.camera_input(key="camera").set_value(("image.jpg", buffer.getvalue(), "image/jpeg")).run()
    assert not landed.exception
    assert working_caption(landed).startswith("Working at 512 x 341 px")
    assert any("Camera snapshot" in c.value for c in landed.main.caption)
    assert "sample" not in landed.query_params


# --------------------------------------------------------------------------- #
# Shareable links
# --------------------------------------------------------------------------- #
def test_query_params_restore_parameters(app):
    # A link with sample, k, colour, tolerance and position restores all of them.
    app.query_params.update(sample="coins", k="7", color="hsv", tol="1e-03", position="false",
                            seed="3", max_side="256")
    app.run()
    assert not app.exception
    assert app.selectbox(key="sample").value == "coins"
    assert app.selectbox(key="color").value == "hsv"
    assert app.select_slider(key="tol").value == pytest.approx(1e-3)
    assert app.toggle(key="position").value is False
    assert app.number_input(key="seed").value == 3
    assert working_caption(app) == "Working at 256 x 202 px (downscaled from 384 x 303 for speed)."
    assert stats_rows(app)["pixels"].sum() == 256 * 202
    assert len(stats_rows(app)) == 7
    assert features_caption(app) == "Features: HSV colour."


def test_unknown_sample_in_link_falls_back(app):
    # ?sample=nope warns and shows the default sample.
    app.query_params["sample"] = "nope"
    app.run()
    assert any("nope" in w.value for w in app.sidebar.warning)
    assert app.selectbox(key="sample").value == "astronaut"
    assert len(stats_rows(app)) == 4


def test_share_link_round_trip(landed):
    # The link shown on the page, opened in a new session, reproduces the same result.
    landed.selectbox(key="sample").set_value("chelsea").run()
    landed.slider(key="k").set_value(5).run()
    landed.selectbox(key="color").set_value("lab").run()
    landed.toggle(key="center").set_value(True).run()
    landed.slider(key="center_weight").set_value(0.5).run()
    landed.radio(key="init").set_value("random").run()
    link = share_text(landed)
    assert link == "?sample=chelsea&k=5&color=lab&center=true&center_weight=0.5&init=random"

    reopened = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    reopened.query_params.update(dict(parse_qsl(link.lstrip("?"))))
    reopened.run()
    assert share_text(reopened) == link
    assert stats_rows(reopened)["pixels"].tolist() == stats_rows(landed)["pixels"].tolist()


def test_query_items_mirror_widget_defaults():
    # The default parameters need no query parameters at all.
    assert query_items(SegmentParams.from_controls(**CONTROL_DEFAULTS)) == {}
    assert query_string(SegmentParams(), sample_key=None, max_side=512, default_max_side=512) == ""
    assert query_string(SegmentParams(k=3), sample_key=None, max_side=768,
                        default_max_side=512) == "?max_side=768&k=3"


# --------------------------------------------------------------------------- #
# Animation, warnings, downloads
# --------------------------------------------------------------------------- #
def test_animation_is_built_on_demand_and_opens_on_the_result(landed):
    # Off by default; switched on: n_iter + 1 frames, Play replays from 0, no
    # second slider (the step control is the one iteration control), the overlay
    # shown first is the last frame's, JSON under 5 MB.
    assert not landed.get("plotly_chart")
    n_iter = int({m.label: m.value for m in landed.metric}["Iterations run"])
    show_animation(landed)
    spec = plotly_spec(landed)
    assert [f["name"] for f in spec["frames"]] == [str(i) for i in range(n_iter + 1)]
    assert not spec["layout"].get("sliders")
    (menu,) = spec["layout"]["updatemenus"]
    assert [b["label"] for b in menu["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert menu["buttons"][0]["args"][1]["fromcurrent"] is False
    assert spec["data"][1]["source"] == spec["frames"][-1]["data"][0]["source"]
    assert spec["data"][3]["x"] == [n_iter]
    assert len(json.dumps(spec).encode()) < MAX_FIGURE_BYTES


def test_no_feature_selected_warns(landed):
    # Colour "none" with every other feature off: a friendly warning, no table.
    landed.selectbox(key="color").set_value("none").run()
    landed.toggle(key="position").set_value(False).run()
    assert not landed.exception
    assert len(landed.warning) == 1
    assert "Select at least one feature" in landed.warning[0].value
    assert not any("<table>" in m.value for m in landed.markdown)


def test_too_many_segments_warns(landed):
    # A black-and-white checkerboard has 2 distinct colours: k=12 gets a warning.
    checkerboard = np.kron(np.eye(2, dtype=np.uint8) * 255, np.ones((20, 20), dtype=np.uint8))
    upload(landed, "checkerboard.png", encode_png(checkerboard))
    landed.toggle(key="position").set_value(False).run()
    landed.slider(key="k").set_value(12).run()
    assert not landed.exception
    assert any("k=12" in w.value for w in landed.warning)


def test_step_control_shows_chosen_iteration(landed):
    # Step 2 (iteration 1, assign) shows that iteration's inertia and changed pixels.
    image = downscale_image(load_sample("astronaut"), 512)
    expected = segment(image, **SegmentParams().segment_kwargs()).states[1]
    landed.select_slider(key="explore_step").set_value(2).run()
    metrics = {m.label: m.value for m in landed.metric}
    assert metrics["Inertia"] == f"{expected.inertia:.4g}"
    assert metrics["Pixels that changed segment"] == f"{expected.n_changed:,}"


def test_download_buttons_present(landed):
    # Six downloads, each with its own key.
    keys = sorted(button.key for button in landed.get("download_button"))
    assert keys == sorted(f"explore_download_{name}"
                          for name in ("mask", "overlay", "csv", "json", "gif", "code"))


def test_python_snippet_reproduces_the_app(landed):
    # The snippet shown on the page, run as is, gives the app's segment sizes.
    landed.slider(key="k").set_value(3).run()
    assert not landed.code  # the highlighter is loaded only on demand
    landed.toggle(key="explore_show_code").set_value(True).run()
    snippet = next(c.value for c in landed.code if c.language == "python")
    namespace: dict = {}
    exec(compile(snippet, "<snippet>", "exec"), namespace)  # noqa: S102 - our own generated code
    sizes = [s.pixel_count for s in namespace["result"].statistics]
    assert sizes == stats_rows(landed)["pixels"].tolist()


def test_segment_params_fold_switches_into_weights():
    # A switched-off group has weight 0, so equivalent widget states share a cache key.
    off_a = SegmentParams.from_controls(position=False, position_weight=0.3)
    off_b = SegmentParams.from_controls(position=False, position_weight=1.7)
    assert off_a == off_b and hash(off_a) == hash(off_b)
    assert off_a.position_weight == 0.0
    on = SegmentParams.from_controls(center=True, center_weight=0.5)
    assert (on.position_weight, on.center_weight) == (0.3, 0.5)
    with pytest.raises(ValueError, match="Select at least one feature"):
        SegmentParams.from_controls(color="none", position=False).spec()


# --------------------------------------------------------------------------- #
# Download payloads, the reproduce script, BLAS threads, settings errors
# --------------------------------------------------------------------------- #
@pytest.fixture
def downloaded(app, recorded_downloads):
    """The app on coins at 256 px, and every download payload it offers, by file name
    (the exact bytes a click serves: conftest's ``recorded_downloads``)."""
    builders = recorded_downloads
    app.query_params.update(sample="coins", max_side="256")
    app.run()
    assert not app.exception
    payloads = {}
    for name, build in builders.items():
        payload = build()
        payloads[name] = payload.encode("utf-8") if isinstance(payload, str) else payload
    return app, payloads


@pytest.fixture
def coins_run():
    """The app's working image for coins at 256 px and its default segmentation."""
    image = downscale_image(load_sample("coins"), 256)
    return image, segment(image, **SegmentParams().segment_kwargs())


def decode_png(payload: bytes) -> np.ndarray:
    """Pixels of a PNG payload, exactly as stored."""
    with Image.open(io.BytesIO(payload)) as picture:
        return np.asarray(picture)


def test_download_names(downloaded):
    # Six files named after the image and k, with the command line's suffixes.
    _, payloads = downloaded
    assert sorted(payloads) == sorted(f"coins_k4_{suffix}" for suffix in (
        "labels.png", "overlay.png", "stats.csv", "parameters.json", "convergence.gif",
        "reproduce.py"))


def test_downloads_equal_the_command_line_files(downloaded, coins_run, tmp_path):
    # The same run through `python -m segmentation` writes byte-identical files.
    from segmentation.cli import main as cli_main

    _, payloads = downloaded
    image, _ = coins_run
    (tmp_path / "coins_k4.png").write_bytes(encode_png(image))
    out = tmp_path / "out"
    assert cli_main([str(tmp_path / "coins_k4.png"), "--out", str(out), "--quiet",
                     "--alpha", "0.5"]) == 0  # the app's default opacity
    written = sorted(path.name for path in out.iterdir())
    assert written == ["coins_k4_labels.png", "coins_k4_overlay.png", "coins_k4_stats.csv"]
    for name in written:
        assert (out / name).read_bytes() == payloads[name], name


def test_download_payloads_decode_to_the_result(downloaded, coins_run):
    # Mask and CSV are the result; the GIF has one frame per iteration; the JSON
    # names the image and the parameters of the run.
    at, payloads = downloaded
    image, expected = coins_run
    mask = decode_png(payloads["coins_k4_labels.png"])
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, expected.labels)
    rows = list(csv.DictReader(io.StringIO(payloads["coins_k4_stats.csv"].decode("utf-8"))))
    assert [int(row["pixels"]) for row in rows] == [s.pixel_count for s in expected.statistics]
    assert [row["mean_color"] for row in rows] == [s.hex_color for s in expected.statistics]
    assert [int(row["pixels"]) for row in rows] == stats_rows(at)["pixels"].tolist()
    with Image.open(io.BytesIO(payloads["coins_k4_convergence.gif"])) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == expected.n_iter + 1
        assert max(gif.size) == 256  # the working image is smaller than the GIF's 320 px cap
    parameters = json.loads(payloads["coins_k4_parameters.json"])
    assert parameters == {"image": "coins", "image_source": "sample",
                          "image_sha256": image_digest(image), "working_size": [202, 256],
                          "max_side": 256, **SegmentParams().segment_kwargs()}
    assert segment(image, **{key: parameters[key] for key in SegmentParams().segment_kwargs()}
                   ).labels.tolist() == expected.labels.tolist()  # the JSON redoes the run


def test_overlay_download_takes_the_opacity_shown_at_the_click(app, recorded_downloads,
                                                                coins_run):
    # The opacity slider reruns only the pictures' fragment, not the download
    # buttons: the overlay download asks the session's opacity when it is built.
    from segmentation.export import overlay_png

    image, expected = coins_run
    app.query_params.update(sample="coins", max_side="256")
    app.run()
    assert recorded_downloads["coins_k4_overlay.png"]() == overlay_png(image, expected, 0.5)
    app.slider(key="explore_opacity").set_value(0.8).run()
    assert recorded_downloads["coins_k4_overlay.png"]() == overlay_png(image, expected, 0.8)
    # As after a fragment rerun: the slider moved, the buttons were not drawn again.
    app.session_state["_explore_opacity_holder"].alpha = 0.25
    assert recorded_downloads["coins_k4_overlay.png"]() == overlay_png(image, expected, 0.25)


def run_script(script: Path, cwd: Path) -> list[str]:
    """Run a downloaded script with this Python from ``cwd``; its printed lines."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run([sys.executable, str(script)], cwd=cwd, env=env,
                               capture_output=True, text=True, timeout=TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


def test_python_script_download_runs_from_any_folder(downloaded, tmp_path):
    # The script, saved in an empty folder and run there with the installed
    # package (not the repository on sys.path), prints the app's result.
    at, payloads = downloaded
    script = tmp_path / "coins_k4_reproduce.py"
    script.write_bytes(payloads["coins_k4_reproduce.py"])
    iterations, sizes = run_script(script, cwd=tmp_path)
    metrics = {m.label: m.value for m in at.metric}
    assert iterations.split()[0] == metrics["Iterations run"]
    assert json.loads(sizes) == stats_rows(at)["pixels"].tolist()
    assert "pip install" in payloads["coins_k4_reproduce.py"].decode().split('"""')[1]


def test_python_script_of_an_upload_reads_the_picture_next_to_it(landed, wide_png, tmp_path):
    # For an upload the script reads my_image.png beside itself, whatever the
    # current folder, and finds the app's segment sizes.
    upload(landed, "blocks.png", wide_png)
    landed.toggle(key="explore_show_code").set_value(True).run()
    snippet = next(c.value for c in landed.code if c.language == "python")
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "reproduce.py").write_text(snippet, encoding="utf-8")
    (folder / "my_image.png").write_bytes(wide_png)
    _, sizes = run_script(folder / "reproduce.py", cwd=tmp_path)
    assert json.loads(sizes) == stats_rows(landed)["pixels"].tolist()


def test_app_limits_blas_to_one_thread(app):
    # After the app runs, every BLAS library of the process uses one thread,
    # so concurrent sessions do not oversubscribe the cores.
    import threading

    import threadpoolctl

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpoolctl.threadpool_info()
                if pool["user_api"] == "blas"}

    # threadpoolctl lets one live thread at a time set OpenBLAS's shared pool;
    # free it, then raise the pool to 2 from a thread that ends, as a
    # Streamlit session thread would.
    threadpoolctl.OpenBLASController.clear_controlling_thread(force=True)
    raiser = threading.Thread(target=threadpoolctl.threadpool_limits, args=(2,))
    raiser.start()
    raiser.join()
    if blas_threads() != {2}:
        pytest.skip(f"cannot raise the BLAS pool above 1 here: {blas_threads()}")
    app.run()
    assert not app.exception
    assert blas_threads() == {1}


def test_k_above_distinct_colours_warns_in_image_words_then_recovers(landed):
    # A 2-colour picture with k=12: a warning about the image's pixels, no
    # exception; back at k=2 the page shows the result again.
    two_colours = np.zeros((30, 40, 3), dtype=np.uint8)
    two_colours[:, 20:] = (240, 200, 40)
    upload(landed, "two_colours.png", encode_png(two_colours))
    landed.toggle(key="position").set_value(False).run()
    landed.slider(key="k").set_value(12).run()
    assert not landed.exception
    assert len(landed.warning) == 1
    assert "this image has different pixels" in landed.warning[0].value
    assert "(it has 2)" in landed.warning[0].value
    assert not any("<table>" in m.value for m in landed.markdown)
    landed.slider(key="k").set_value(2).run()
    assert not landed.exception and not landed.warning
    assert stats_rows(landed)["pixels"].tolist() == [30 * 20, 30 * 20]


def test_settings_errors_are_exactly_the_expected_types():
    # The page may turn only these into "change the settings" advice.
    from segmentation import NoFeatureSelectedError, TooFewDistinctPixelsError

    assert cache.SETTINGS_ERRORS == (NoFeatureSelectedError, cache.TooFewDistinctPointsError)
    assert issubclass(TooFewDistinctPixelsError, cache.SETTINGS_ERRORS)
    assert not issubclass(ValueError, cache.SETTINGS_ERRORS)


def test_a_bug_is_not_shown_as_settings_advice(app, monkeypatch):
    # A ValueError from a bug inside the computation surfaces as an exception,
    # never as a "change the settings" warning to a student.
    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(cache, "segment", broken)
    cache.clear_caches()
    app.run()
    assert not app.warning
    assert app.exception


# --------------------------------------------------------------------------- #
# Half-steps, palette, presentation mode, guided samples, page conventions
# --------------------------------------------------------------------------- #
def step_caption(at: AppTest) -> str:
    """The caption of the first-screen picture: what the shown half-step did."""
    return at.main.get("image")[0].captions[0]


def test_next_step_walks_update_then_assign(landed):
    # From the start, "Next" goes 0 -> 1 (update) -> 2 (assign), "Back" returns,
    # "Result" jumps to the last step; the picture's caption follows.
    landed.button(key="explore_step_start").click().run()
    assert landed.select_slider(key="explore_step").value == 0
    assert "initial assign" in step_caption(landed)
    landed.button(key="explore_step_next").click().run()
    assert landed.select_slider(key="explore_step").value == 1
    assert "Iteration 1, update" in step_caption(landed)
    landed.button(key="explore_step_next").click().run()
    assert landed.select_slider(key="explore_step").value == 2
    assert "Iteration 1, assign" in step_caption(landed)
    assert "pixels joined a nearer centre (bright" in step_caption(landed)
    landed.button(key="explore_step_back").click().run()
    assert landed.select_slider(key="explore_step").value == 1
    landed.button(key="explore_step_result").click().run()
    n_iter = int({m.label: m.value for m in landed.metric}["Iterations run"])
    assert landed.select_slider(key="explore_step").value == 2 * n_iter
    assert "segments of the result" in step_caption(landed)


def test_half_step_pictures_show_old_labels_after_update_and_highlight_after_assign():
    # Update keeps iteration 0's labels (same picture as step 0); assign 1
    # highlights exactly the pixels whose label changed, darkening the others.
    image = downscale_image(load_sample("coins"), 128)
    params = SegmentParams()
    result = segment(image, **params.segment_kwargs())
    working = cache.WorkingImage(source="sample", name="coins", title="Coins",
                                 digest=image_digest(image), image=image,
                                 original_size=image.shape[:2], max_side=128)

    def pixels(step, highlight):
        return np.asarray(Image.open(io.BytesIO(cache.step_png(working, params, result, step,
                                                               highlight=highlight))))

    np.testing.assert_array_equal(pixels(1, True), pixels(0, True))
    plain, highlighted = pixels(2, False), pixels(2, True)
    changed = result.labels_at(1) != result.labels_at(0)
    assert changed.any() and not changed.all()
    np.testing.assert_array_equal(highlighted[changed], plain[changed])
    assert (highlighted[~changed] <= plain[~changed]).all()
    assert (highlighted[~changed] < plain[~changed]).any()


def test_changing_k_shows_the_result_first(landed):
    # After stepping back, a new k shows its own converged result again.
    landed.button(key="explore_step_start").click().run()
    landed.slider(key="k").set_value(5).run()
    n_iter = int({m.label: m.value for m in landed.metric}["Iterations run"])
    assert landed.select_slider(key="explore_step").value == 2 * n_iter


def test_palette_choice_recolours_table_and_pictures(landed):
    # The colour-blind safe palette names other colours in the table and
    # changes the overlay; it is in the URL.
    default_names = stats_rows(landed)["colour"].tolist()
    default_png = landed.main.get("image")[0].value[0]
    landed.selectbox(key="palette").set_value("cvd-safe").run()
    assert not landed.exception
    assert stats_rows(landed)["colour"].tolist() == ["yellow", "light blue", "indigo",
                                                     "dark olive"]
    assert stats_rows(landed)["colour"].tolist() != default_names
    assert landed.main.get("image")[0].value[0] != default_png


def test_segment_numbers_toggle_changes_the_picture(landed):
    # Numbers on: a different picture (the numbers are drawn on it).
    before = landed.main.get("image")[0].value[0]
    landed.toggle(key="numbers").set_value(True).run()
    assert not landed.exception
    assert landed.main.get("image")[0].value[0] != before


@pytest.mark.parametrize("value", ["true", "1"])
def test_presentation_mode_from_the_url(app, value):
    # ?present=true (the toggle's own word) or ?present=1: the toggle is on,
    # the settings fold into an expander, and the charts get larger black text.
    # (The collapsed sidebar is checked in the browser, test_browser.py.)
    app.query_params["present"] = value
    app.run()
    assert not app.exception
    assert app.toggle(key="present").value is True
    assert any(e.label == "Settings: k and features" for e in app.expander)
    assert 'font-size="20"' in curve_svg(app) and 'fill="#000000"' in curve_svg(app)


def test_presentation_toggle_in_the_sidebar(landed):
    # The switch in the sidebar does the same.
    landed.toggle(key="present").set_value(True).run()
    assert any(e.label == "Settings: k and features" for e in landed.expander)
    assert 'font-size="20"' in curve_svg(landed)


def test_try_this_sets_the_parameters_of_the_hint(landed):
    # On shapes, "Try this" sets Lab colour, k=6, position weight 1, as the hint says.
    landed.selectbox(key="sample").set_value("shapes").run()
    assert any("k=6" in m.value for m in landed.sidebar.markdown)
    landed.button(key="try_this").click().run()
    assert not landed.exception
    assert landed.slider(key="k").value == 6
    assert landed.selectbox(key="color").value == "lab"
    assert landed.slider(key="position_weight").value == 1.0
    assert len(stats_rows(landed)) == 6


@pytest.mark.parametrize("sample", [s.key for s in SAMPLES])
def test_every_sample_has_a_valid_try_this(sample):
    # Every hint comes with parameters the controls accept.
    settings = get_sample(sample).try_this
    assert settings and set(settings) <= set(CONTROL_DEFAULTS)
    SegmentParams.from_controls(**{**CONTROL_DEFAULTS, **settings}).spec()


def test_synthetic_sample_shows_ground_truth_and_score(landed):
    # shapes: the truth picture and the scores of the result shown; a photo has neither.
    from segmentation.metrics import compare_to_ground_truth
    from segmentation.samples import load_ground_truth

    assert not any(s.value == "Against the ground truth" for s in landed.subheader)
    landed.selectbox(key="sample").set_value("shapes").run()
    assert any(s.value == "Against the ground truth" for s in landed.subheader)
    assert any("Ground truth" in image.captions[0] for image in landed.main.get("image"))
    image = load_sample("shapes")  # 480 x 360: below the working resolution, not shrunk
    expected = compare_to_ground_truth(segment(image, **SegmentParams().segment_kwargs()).labels,
                                       load_ground_truth("shapes"))
    metrics = {m.label: m.value for m in landed.metric}
    assert metrics["Mean best IoU"] == f"{expected.mean_best_iou:.3f}"
    assert metrics["Adjusted Rand index"] == f"{expected.adjusted_rand:.3f}"


def test_page_own_widget_keys_carry_the_page_prefix(landed):
    # Page conventions: every widget of the Explore page's main area is either a
    # shared setting (bare key) or starts with "explore_".
    shared = set(CONTROL_DEFAULTS)
    keys = {widget.key for kind in ("slider", "select_slider", "toggle", "selectbox", "button")
            for widget in landed.main.get(kind) if widget.key}
    assert keys, "no keyed widgets found"
    assert all(key in shared or key.startswith("explore_") for key in keys), keys


@pytest.mark.parametrize("sample", [s.key for s in SAMPLES])
def test_every_sample_is_segmented_on_the_page(app, sample):
    # Each gallery image, opened by link, is segmented with the default k and
    # its "try this" settings, with no exception and a full statistics table.
    app.query_params["sample"] = sample
    app.run()
    assert not app.exception
    assert app.selectbox(key="sample").value == sample
    assert len(stats_rows(app)) == app.slider(key="k").value
    try_this = next(b for b in app.sidebar.button if "Try this" in b.label)
    try_this.click().run()
    assert not app.exception
    settings = get_sample(sample).try_this
    if "k" in settings:
        assert app.slider(key="k").value == settings["k"]
    assert len(stats_rows(app)) == app.slider(key="k").value


def test_best_of_n_starts_on_the_page(app):
    # "Starts (best of)" runs several random starts and keeps the lowest
    # inertia; a link carries it.
    app.query_params["n_init"] = "3"
    app.run()
    assert not app.exception
    assert app.number_input(key="n_init").value == 3
    from segmentation.params import SegmentParams

    params = SegmentParams(n_init=3)
    one = segment(load_sample("astronaut")[::4, ::4], **SegmentParams().segment_kwargs())
    best = segment(load_sample("astronaut")[::4, ::4], **params.segment_kwargs())
    assert best.inertia <= one.inertia


def _picture_urls(at: AppTest) -> dict[str, str]:
    """Caption -> URL of each picture the page shows (the media file Streamlit serves)."""
    found = {}

    def walk(node):
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)
        if type(node).__name__ == "Image":
            for image in node.proto.imgs:
                found[image.caption] = image.url

    walk(at._tree)
    return found


def test_the_result_overlay_and_the_last_step_are_one_picture(app, monkeypatch):
    """At the default opacity the Result tab shows the very JPEG of the last step (drawn,
    encoded and sent once); another opacity, or the clean-up, gives the tab its own."""
    encoded = []
    real = cache.encode_jpeg
    monkeypatch.setattr(cache, "encode_jpeg", lambda picture: encoded.append(1) or real(picture))
    cache.clear_caches()
    app.query_params.update(sample="coins", max_side="256")
    app.run()
    assert len(encoded) == 1  # one picture for the last step and the Result tab

    def step_and_overlay():
        urls = _picture_urls(app)
        step = next(url for caption, url in urls.items() if "segments of the result" in caption)
        overlay = next(url for caption, url in urls.items() if "opacity" in caption)
        return step, overlay

    step, overlay = step_and_overlay()
    assert step == overlay and step.endswith(".jpg")
    app.slider(key="explore_opacity").set_value(0.3).run()
    assert step_and_overlay() == (step, step_and_overlay()[1]) and step_and_overlay()[1] != step
    app.slider(key="explore_opacity").set_value(0.5).run()
    app.toggle(key="explore_clean").set_value(True).run()
    assert not app.exception
    cleaned_step, cleaned_overlay = step_and_overlay()
    assert cleaned_step == step  # the step control stays raw k-means
    assert cleaned_overlay != step  # the tab shows the cleaned-up segments


def test_switching_pages_logs_no_session_state_warning(app, monkeypatch):
    # keep_shared_settings re-assigns the shared widget values on purpose; the
    # server log must not report it as a mistake (with a stack trace) on the first
    # page switch of every process.
    import logging

    from streamlit.elements.lib import policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # once per process
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger(policies.__name__)
    logger.addHandler(handler)
    try:
        at = app.run()  # Explore draws the seed and the other shared widgets
        at.switch_page("app_pages/lesson.py").run()
        at.switch_page("app_pages/explore.py").run()  # a new page's widgets take them over
        assert not at.exception
        assert at.number_input(key="seed").value == 0
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records if "Session State API" in r.getMessage()] == []
