"""Tests of the Streamlit app (``app.py``, ``pages/``, ``ui/``) with Streamlit's AppTest.

AppTest runs the real scripts in this process without a browser: widgets are
set with ``set_value`` and the page is rerun with ``run()``. Things only a
browser does (Plotly playing frames, the address bar following bound widgets)
are out of its reach; the figures are tested in ``test_figures.py``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from segmentation import encode_png, segment
from segmentation.samples import load_sample
from segmentation.visualize import downscale_image
from ui import cache
from ui.controls import CONTROL_DEFAULTS, query_items, query_string
from ui.figures import MAX_FIGURE_BYTES
from ui.params import SegmentParams

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "pages").glob("*.py"))
TIMEOUT = 120  # seconds; generous, the CI machine is small and shared


# --------------------------------------------------------------------------- #
# Fixtures
# --------------------------------------------------------------------------- #
@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run app.py as an st.navigation app, as the server does.

    AppTest 1.67 recomputes ``PagesManager.uses_pages_directory`` before every
    run from whether a ``pages/`` folder exists, so from the second run on it
    executes the page file alone, in the legacy pages-folder mode, and skips
    app.py (and its sidebar). The server sets the flag to False once
    ``st.navigation`` has been called; this does the same after each reset.
    """

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test_module, "PagesManager", NavigationPagesManager)


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
    """The statistics table of the page, as a DataFrame."""
    return at.dataframe[0].value


def working_caption(at: AppTest) -> str:
    """The sidebar caption that states the working resolution."""
    return next(c.value for c in at.sidebar.caption if c.value.startswith("Working at"))


def features_caption(at: AppTest) -> str:
    """The page caption that describes the features, e.g. 'Features: RGB colour.'."""
    return next(c.value for c in at.main.caption if c.value.startswith("Features:"))


def share_text(at: AppTest) -> str:
    """The link shown under "Share these settings"."""
    return next(code.value for code in at.code if code.language != "python")


def plotly_spec(at: AppTest) -> dict:
    """The convergence figure as Plotly JSON, exactly as sent to the browser."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


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
    spec = plotly_spec(landed)
    assert [b["label"] for b in spec["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert spec["layout"]["sliders"][0]["active"] == 0  # Play starts from iteration 0


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
    st.cache_resource.clear()  # start cold, whatever ran before in this process
    app.run()
    assert calls == {"segment": 1, "load_sample": 1}
    app.slider(key="opacity").set_value(0.8).run()
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
    assert [image.captions for image in landed.sidebar.get("image")] == [["Camera snapshot"]]
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
def test_plotly_spec_has_one_frame_per_iteration(landed):
    # n_iter + 1 frames (iteration 0 included), one slider step each, JSON under 5 MB.
    n_iter = int({m.label: m.value for m in landed.metric}["Iterations run"])
    spec = plotly_spec(landed)
    assert len(spec["frames"]) == n_iter + 1
    assert [f["name"] for f in spec["frames"]] == [str(i) for i in range(n_iter + 1)]
    assert len(spec["layout"]["sliders"][0]["steps"]) == n_iter + 1
    assert len(landed.get("plotly_chart")[0].proto.spec.encode()) < MAX_FIGURE_BYTES


def test_no_feature_selected_warns(landed):
    # Colour "none" with every other feature off: a friendly warning, no table.
    landed.selectbox(key="color").set_value("none").run()
    landed.toggle(key="position").set_value(False).run()
    assert not landed.exception
    assert len(landed.warning) == 1
    assert "Select at least one feature" in landed.warning[0].value
    assert len(landed.dataframe) == 0


def test_too_many_segments_warns(landed):
    # A black-and-white checkerboard has 2 distinct colours: k=12 gets a warning.
    checkerboard = np.kron(np.eye(2, dtype=np.uint8) * 255, np.ones((20, 20), dtype=np.uint8))
    upload(landed, "checkerboard.png", encode_png(checkerboard))
    landed.toggle(key="position").set_value(False).run()
    landed.slider(key="k").set_value(12).run()
    assert not landed.exception
    assert any("k=12" in w.value for w in landed.warning)


def test_step_scrubber_shows_chosen_iteration(landed):
    # Iteration 1 of the scrubber shows that iteration's inertia and changed pixels.
    image = downscale_image(load_sample("astronaut"), 512)
    expected = segment(image, **SegmentParams().segment_kwargs()).states[1]
    landed.slider(key="scrub_iteration").set_value(1).run()
    metrics = {m.label: m.value for m in landed.metric}
    assert metrics["Inertia"] == f"{expected.inertia:.4g}"
    assert metrics["Pixels that changed segment"] == f"{expected.n_changed:,}"


def test_download_buttons_present(landed):
    # Six downloads, each with its own key.
    keys = sorted(button.key for button in landed.get("download_button"))
    assert keys == sorted(["download_mask", "download_overlay", "download_csv", "download_json",
                           "download_gif", "download_code"])


def test_python_snippet_reproduces_the_app(landed):
    # The snippet shown on the page, run as is, gives the app's segment sizes.
    landed.slider(key="k").set_value(3).run()
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
