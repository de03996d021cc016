"""AppTest of the Ground truth page (app_pages/ground_truth.py), through app.py's navigation.

The page must load, score a scene of the set, react to its method and picture
choices, show the whole-set table (one row per method, the cells of
segmentation.benchmark's table), and score an uploaded picture against an
uploaded label mask, with a clear message for a mask of the wrong size.
The cached results (the whole-set table above all) are shared by the tests,
as they are by the students of a class.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from segmentation.benchmark import K, TABLE_COLUMNS, format_table, methods, table_cell
from segmentation.io import encode_png
from segmentation.samples import load_ground_truth_scene

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds: the first visit scores 6 methods on 14 scenes on a busy machine
PAGE = "app_pages/ground_truth.py"
SCORES = ("Adjusted Rand index", "VoI (bits)", "VoI split (bits)", "VoI merge (bits)",
          "Mean best-match IoU", "Covering", "Boundary precision", "Boundary recall")


@pytest.fixture
def page() -> AppTest:
    """The app switched to the Ground truth page; no exception allowed."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, float]:
    """The page's score metrics as numbers."""
    return {m.label: float(m.value) for m in at.metric if m.label in SCORES}


def whole_set_frame(at: AppTest):
    """The whole-set table (the one with a PRI column)."""
    return next(t.value for t in at.table if "PRI" in t.value.columns)


def confusion_spec(at: AppTest) -> dict:
    chart = next(c for c in at.get("plotly_chart") if "ground_truth_confusion_chart" in c.proto.id)
    return json.loads(chart.proto.spec)


def upload_picture(at: AppTest, name: str, data: bytes) -> AppTest:
    """Upload a picture in the sidebar (as tests/test_app.py does)."""
    at.radio(key="image_source").set_value("upload").run()
    return at.file_uploader(key="upload").set_value((name, data, "image/png")).run()


@pytest.fixture
def blocks() -> tuple[bytes, np.ndarray]:
    """A 600 x 400 picture of three flat colour blocks (shrunk to 512 x 341 by the sidebar),
    and its truth (0, 1, 2 by block)."""
    truth = np.zeros((400, 600), dtype=np.uint8)
    truth[:, 200:] = 1
    truth[200:, 200:] = 2
    colours = np.array([[200, 40, 40], [40, 170, 60], [40, 60, 200]], dtype=np.uint8)
    return encode_png(colours[truth]), truth


def test_page_shows_the_scores_of_a_set_scene(page):
    # Default: a scene of the set and one method: every score in its range, the heat map
    # has one row per true region, and the captions say what a scene and a method are.
    assert page.title[0].value == "Ground truth"
    scene = page.selectbox(key="ground_truth_scene").value
    _, truth = load_ground_truth_scene(scene)
    scores = metrics(page)
    assert set(scores) == set(SCORES)
    assert -1 <= scores["Adjusted Rand index"] <= 1
    assert scores["VoI (bits)"] == pytest.approx(
        scores["VoI split (bits)"] + scores["VoI merge (bits)"], abs=2e-3)
    assert all(0 <= scores[name] <= 1 for name in SCORES[4:])
    spec = confusion_spec(page)
    assert len(spec["data"][0]["y"]) == int(truth.max()) + 1
    assert all(sum(row) == pytest.approx(100) for row in spec["data"][0]["z"])
    assert len(page.main.image) >= 4  # truth, segments, matched truth, errors
    # What to notice first, try this last.
    assert page.info[0].value.startswith("A score needs an answer key")  # lesson_intro
    assert page.subheader[-1].value == "Try this"


def test_switching_the_method_changes_the_scores(page):
    # k-means (colour+position) leaves specks; with clean-up there are far fewer regions
    # and the split half of the VoI falls.
    page.selectbox(key="ground_truth_method").set_value(1).run()
    plain = metrics(page)
    page.selectbox(key="ground_truth_method").set_value(2).run()
    assert not page.exception
    cleaned = metrics(page)
    assert cleaned != plain
    assert cleaned["VoI split (bits)"] < plain["VoI split (bits)"]


def test_whole_set_table_is_the_bench_table(page):
    # One row per method, in order, and every cell is exactly what bench/quality.py prints
    # (segmentation.benchmark.format_table over the same cached table).
    from ui import cache

    frame = whole_set_frame(page)
    assert list(frame["method"]) == [m.name for m in methods(K)]
    assert list(frame.columns) == ["method", *TABLE_COLUMNS, "time (s)"]
    table = cache.gt_table(K)
    printed = format_table(table).splitlines()[2:]
    for (_, row), method_row, line in zip(frame.iterrows(), table.rows, printed):
        for column in TABLE_COLUMNS:
            cell = row[column].replace("\u00a0", " ")  # the page keeps "a ± b" on one line
            assert cell == table_cell(method_row, column) and cell in line
    assert all(re.fullmatch(r"\d\.\d{3}\s±\s\d\.\d{3}", cell) for cell in frame["PRI"])
    assert any("bench/quality.py" in c.value for c in page.main.caption)


def test_all_methods_on_one_scene(page):
    # "All methods": one row per method for this scene, and a picture of each.
    page.selectbox(key="ground_truth_method").set_value(-1).run()
    assert not page.exception
    scene_table = next(t.value for t in page.table if "split" in t.value.columns)
    assert list(scene_table["method"]) == [m.name for m in methods(K)]
    assert not metrics(page)  # no single-method metrics


def test_synthetic_sample_brings_its_own_truth(page):
    # The current picture, a gallery sample with an exact mask: scored, no uploader.
    page.selectbox(key="ground_truth_scene").set_value("current").run()
    page.selectbox(key="sample").set_value("shapes").run()
    assert not page.exception
    assert not page.get("file_uploader") or all(
        u.proto.id.find("ground_truth_mask") < 0 for u in page.get("file_uploader"))
    assert set(metrics(page)) == set(SCORES)


def test_upload_with_its_label_mask_is_scored(page, blocks):
    # An uploaded picture with no mask asks for one; with its palette mask at full size
    # (shrunk with the picture) the flat blocks are found exactly by k-means + clean.
    picture, truth = blocks
    upload_picture(page, "blocks.png", picture)
    page.selectbox(key="ground_truth_scene").set_value("current").run()
    assert not page.metric or not metrics(page)
    assert any("has no ground truth" in i.value for i in page.info)
    from PIL import Image
    import io

    mask = Image.fromarray(truth * 40, mode="L").convert("P")
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    page.file_uploader(key="ground_truth_mask").set_value(
        ("blocks_mask.png", buffer.getvalue(), "image/png")).run()
    page.selectbox(key="ground_truth_method").set_value(2).run()
    assert not page.exception and not page.error
    scores = metrics(page)
    assert scores["Adjusted Rand index"] > 0.99 and scores["VoI (bits)"] < 0.05
    assert any("3 labels" in c.value for c in page.main.caption)


def test_mask_of_the_wrong_size_is_a_clear_message(page, blocks):
    picture, truth = blocks
    upload_picture(page, "blocks.png", picture)
    page.selectbox(key="ground_truth_scene").set_value("current").run()
    page.file_uploader(key="ground_truth_mask").set_value(
        ("small.png", encode_png(truth[:100, :150]), "image/png")).run()
    assert not page.exception
    message = page.error[0].value
    assert "150 x 100" in message and "600 x 400" in message
    assert not metrics(page)
    # Garbage is a message too.
    page.file_uploader(key="ground_truth_mask").set_value(
        ("mask.png", b"not a picture", "image/png")).run()
    assert not page.exception and "not an image" in page.error[0].value


def test_try_this_sets_the_scene_and_method(page):
    page.button(key="ground_truth_try_this").click().run()
    assert not page.exception
    assert page.selectbox(key="ground_truth_scene").value == "shapes_textured"
    assert page.selectbox(key="ground_truth_method").value == 0
    assert set(metrics(page)) == set(SCORES)
