"""AppTest of the teaching pages: Choosing k, Side by side, What the start does.

Each page is reached through app.py's navigation (the shared sidebar runs
first), must load, react to its main control and show its numbers. The
cached computations are shared by the tests of this module (st.cache_resource
lives in the process), as they are by the students of a class.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from segmentation.choosing_k import WORKING_MAX_SIDE

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds: a cold page runs k-means some 40 times on a shared 2-core machine
CHOOSING_K = "app_pages/choosing_k.py"
COMPARE = "app_pages/compare.py"
STARTS = "app_pages/starts.py"


@pytest.fixture
def app() -> AppTest:
    """The app, run once on its default page."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()


def open_page(app: AppTest, page: str) -> AppTest:
    """Switch to ``page`` through the navigation; no exception allowed."""
    app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def plotly_spec(at: AppTest, key: str) -> dict:
    """The Plotly figure of the element with ``key``, as sent to the browser."""
    chart = next(chart for chart in at.get("plotly_chart") if key in chart.proto.id)
    return json.loads(chart.proto.spec)


def metric(at: AppTest, label: str) -> str:
    """The value of the metric called ``label``."""
    return next(m.value for m in at.metric if m.label == label)


def trace(spec: dict, name: str) -> dict:
    """The trace called ``name`` of a figure spec."""
    return next(t for t in spec["data"] if t.get("name") == name)


# --------------------------------------------------------------------------- #
# Choosing k
# --------------------------------------------------------------------------- #
def test_choosing_k_shows_the_elbow_and_its_reasoning(app):
    at = open_page(app, CHOOSING_K)
    assert at.title[0].value == "Choosing k"
    elbow = int(metric(at, "Suggested elbow").removeprefix("k = "))
    assert 2 <= elbow <= 12
    # The chart marks that elbow, and the reasoning table has one row per k with the
    # largest distance below the chord on the elbow's row.
    spec = plotly_spec(at, "choosing_k_elbow_chart")
    assert trace(spec, "suggested elbow")["x"] == [elbow]
    inertias = trace(spec, "inertia")["y"]
    assert all(b <= a for a, b in zip(inertias, inertias[1:]))  # best-of-N: never rises
    table = at.table[0].value
    assert list(table["k"]) == list(range(2, 13))
    assert table["k"][table["distance below chord"].idxmax()] == elbow
    # Says it computes on a shrunk picture.
    assert any(f"{WORKING_MAX_SIDE} x" in c.value for c in at.main.caption)
    # One mask and one "Open" button per k.
    assert [b.key for b in at.button if b.key.startswith("choosing_k_open_")] == [
        f"choosing_k_open_{k}" for k in range(2, 13)]


def test_choosing_k_marks_the_shared_k(app):
    at = open_page(app, CHOOSING_K)
    at.slider(key="k").set_value(7).run()
    assert metric(at, "Your k") == "k = 7"
    assert trace(plotly_spec(at, "choosing_k_elbow_chart"), "your k")["x"] == [7]


def test_choosing_k_mask_opens_explore_with_that_k(app):
    at = open_page(app, CHOOSING_K)
    at.button(key="choosing_k_open_6").click().run()
    assert not at.exception
    assert at.title[0].value == "k-means segmentation"  # the Explore page
    assert at.slider(key="k").value == 6


def test_choosing_k_try_this_loads_the_cells(app):
    at = open_page(app, CHOOSING_K)
    at.button(key="choosing_k_try_this").click().run()
    assert not at.exception
    assert at.session_state["sample"] == "cells"
    assert at.selectbox(key="color").value == "lab"
    assert at.toggle(key="position").value is False
    assert at.title[0].value == "Choosing k"


# --------------------------------------------------------------------------- #
# Side by side
# --------------------------------------------------------------------------- #
def test_compare_starts_from_the_shared_run_and_shows_the_disagreement(app):
    at = open_page(app, COMPARE)
    assert at.title[0].value == "Side by side"
    # A is the shared run, B the same in Lab colour: they disagree on some pixels.
    assert at.selectbox(key="compare_a_color").value == "rgb"
    assert at.selectbox(key="compare_b_color").value == "lab"
    share = float(metric(at, "Pixels in disagreement").removesuffix(" %"))
    assert 0 < share < 100
    assert -1 <= float(metric(at, "Adjusted Rand index")) <= 1


def test_compare_same_settings_agree_everywhere(app):
    # Main control: B's colour. With A == B the runs are identical: 0 % disagreement, ARI 1.
    at = open_page(app, COMPARE)
    at.selectbox(key="compare_b_color").set_value("rgb").run()
    assert metric(at, "Pixels in disagreement") == "0.0 %"
    assert metric(at, "Adjusted Rand index") == "1.000"


def test_compare_feature_choices_table(app):
    at = open_page(app, COMPARE)
    table = at.table[0].value
    assert list(table["features"]) == ["Colour only", "Position only",
                                       "Colour + weighted position"]
    # Position alone tiles the picture: k compact regions; colour alone fragments it.
    regions = dict(zip(table["features"], table["connected regions"]))
    assert regions["Position only"] <= 2 * at.slider(key="k").value
    assert regions["Colour only"] > regions["Colour + weighted position"] > regions["Position only"]
    assert any("not comparable" in c.value for c in at.main.caption)


def test_compare_sweep_counts_regions_with_the_band_shaded(app):
    at = open_page(app, COMPARE)
    spec = plotly_spec(at, "compare_sweep_chart")
    assert spec["data"][0]["x"] == [0.0, 0.1, 0.3, 0.5, 1.0, 2.0]
    counts = spec["data"][0]["y"]
    assert counts[0] > counts[-1]  # position joins the colour specks
    band = spec["layout"]["shapes"][0]
    assert (band["x0"], band["x1"]) == (0.1, 0.5)


def test_compare_preset_and_try_this_set_a_and_b(app):
    at = open_page(app, COMPARE)
    at.button(key="compare_preset_1").click().run()  # position weight 0 vs 1
    assert at.slider(key="compare_a_position_weight").value == 0.0
    assert at.slider(key="compare_b_position_weight").value == 1.0
    at.button(key="compare_try_this").click().run()
    assert not at.exception
    assert at.session_state["sample"] == "shapes"
    assert at.slider(key="compare_b_k").value == 6


# --------------------------------------------------------------------------- #
# What the start does
# --------------------------------------------------------------------------- #
def test_starts_compares_the_two_kinds_of_start(app):
    at = open_page(app, STARTS)
    assert at.title[0].value == "What the start does"
    spec = plotly_spec(at, "starts_chart")
    boxes = [(t["name"], len(t["y"])) for t in spec["data"]]
    assert boxes == [("k-means++", 20), ("random", 20)] * 2  # inertia, then iterations
    # Stability numbers: pairwise ARI per kind, ARI to the three similar pictures.
    assert len([m for m in at.metric if m.label == "Pairwise ARI, mean"]) == 2
    similar = at.table[0].value
    assert list(similar["similar picture"]) == ["noise", "brightness", "shift"]
    assert all(-1 <= value <= 1 for value in similar["ARI with the original"])


def test_starts_number_of_seeds_is_the_main_control(app):
    at = open_page(app, STARTS)
    at.slider(key="starts_n_seeds").set_value(6).run()
    assert not at.exception
    assert [len(t["y"]) for t in plotly_spec(at, "starts_chart")["data"]] == [6] * 4


def test_starts_stuck_example_separates_the_two_starts(app):
    # The balloons at k = 8: k-means++ nearly always reaches the best minimum, random never.
    at = open_page(app, STARTS)
    at.button(key="starts_load_stuck").click().run()
    assert not at.exception
    assert at.session_state["sample"] == "stuck" and at.slider(key="k").value == 8
    good = [float(m.value.removesuffix("%")) for m in at.metric
            if m.label == "Runs within 1 % of the best"]
    assert good[0] >= 80 and good[1] <= 20


def test_starts_kmeanspp_picks_step_by_step(app):
    at = open_page(app, STARTS)
    at.slider(key="starts_pick_step").set_value(3).run()
    spec = plotly_spec(at, "starts_picks_chart")
    picks = [t for t in spec["data"] if t.get("name") == "picked pixels"]
    assert [len(t["x"]) for t in picks] == [3, 3]  # on the photo and on the heat map


def test_starts_run_from_the_students_picks(app):
    at = open_page(app, STARTS)
    assert at.button(key="starts_run_picks").disabled  # nothing picked yet
    digest = at.session_state["current_image"].digest
    at.session_state["_starts_picks"] = (digest, [(20, 30), (100, 80), (140, 10)])
    at.run()
    assert not at.exception
    assert not at.button(key="starts_run_picks").disabled
    assert not [m for m in at.metric if m.label == "Your inertia"]  # not run yet
    at.button(key="starts_run_picks").click().run()
    assert float(metric(at, "Your inertia")) > 0
    assert metric(at, "k-means++ (seed 0), k = 3")
    canvas = plotly_spec(at, "starts_pick_canvas")
    assert trace(canvas, "picked pixels")["x"] == [30, 80, 10]
    at.button(key="starts_clear_picks").click().run()
    assert at.button(key="starts_run_picks").disabled


def test_starts_picks_of_another_picture_are_forgotten(app):
    at = open_page(app, STARTS)
    at.session_state["_starts_picks"] = ("another picture", [(500, 500), (0, 0)])
    at.run()
    assert not at.exception
    assert at.button(key="starts_run_picks").disabled


# --------------------------------------------------------------------------- #
# Uploads
# --------------------------------------------------------------------------- #
def png_bytes(picture: np.ndarray) -> bytes:
    from segmentation import encode_png

    return encode_png(picture)


@pytest.fixture
def photo_like_png() -> bytes:
    """A 400 x 300 PNG: four coloured quadrants with noise, many different colours."""
    rng = np.random.default_rng(0)
    picture = np.empty((300, 400, 3), dtype=np.float32)
    picture[:150, :200], picture[:150, 200:] = (200, 40, 40), (40, 160, 60)
    picture[150:, :200], picture[150:, 200:] = (30, 60, 190), (230, 210, 60)
    picture += rng.normal(0, 10, picture.shape)
    return png_bytes(np.clip(picture, 0, 255).astype(np.uint8))


def upload(at: AppTest, data: bytes) -> AppTest:
    """Upload a PNG in the sidebar."""
    at.radio(key="image_source").set_value("upload").run()
    return at.file_uploader(key="upload").set_value(("picture.png", data, "image/png")).run()


@pytest.mark.parametrize("page", [CHOOSING_K, COMPARE, STARTS])
def test_teaching_pages_work_on_an_upload(app, photo_like_png, page):
    at = open_page(upload(app, photo_like_png), page)
    assert not at.main.warning
    # 400 x 300 shrinks to 160 x 120 and the page says so.
    assert any("160 x 120" in c.value for c in at.main.caption)


def test_choosing_k_on_a_picture_of_three_flat_colours_explains_why_there_is_no_elbow(app):
    # Three colours, colour only: k cannot go beyond 3, too few values of k for an elbow.
    picture = np.zeros((60, 90, 3), dtype=np.uint8)
    picture[:, 30:60], picture[:, 60:] = (255, 0, 0), (0, 0, 255)
    at = upload(app, png_bytes(picture))
    at.toggle(key="position").set_value(False).run()
    at = open_page(at, CHOOSING_K)
    assert "only 3 different pixels" in at.main.warning[0].value


def test_teaching_pages_keep_k_and_features_from_explore(app):
    # Set on Explore, then open each teaching page: its first run uses the same k and features.
    app.slider(key="k").set_value(7).run()
    app.selectbox(key="color").set_value("lab").run()
    at = open_page(app, CHOOSING_K)
    assert metric(at, "Your k") == "k = 7"
    assert at.slider(key="k").value == 7 and at.selectbox(key="color").value == "lab"
    at = open_page(at, STARTS)
    assert any(h.value == "20 runs each, k = 7" for h in at.subheader)
