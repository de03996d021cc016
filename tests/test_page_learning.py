"""AppTest of the page *From clustering to learning* (app_pages/learning.py).

The page is reached through app.py's navigation (the shared sidebar runs
first). AppTest cannot paint on the canvas component (it sends nothing, as a
canvas nobody has touched), so these tests paint through the page's *Use
example strokes* button; tests/test_browser.py paints with the mouse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds: a cold run segments the default sample on a busy 2-core machine
LEARNING = "app_pages/learning.py"


@pytest.fixture
def page() -> AppTest:
    """The app switched to the learning page, without exception."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(LEARNING).run()
    assert not at.exception, at.exception
    return at


def on_sample(at: AppTest, sample: str) -> AppTest:
    """Choose ``sample`` in the sidebar's gallery."""
    at.selectbox(key="sample").set_value(sample).run()
    assert not at.exception, at.exception
    return at


def use_examples(at: AppTest) -> AppTest:
    """Press *Use example strokes*."""
    at.button(key="learning_example").click().run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    """The value of the metric called ``label``."""
    return next(m.value for m in at.metric if m.label == label)


def scores(at: AppTest) -> dict[str, dict[str, float]]:
    """The score table: method -> {"ARI": ..., "mean best IoU": ...}."""
    table = at.table[0].value
    return {row["method"]: {"ARI": row["ARI"], "mean best IoU": row["mean best IoU"]}
            for _, row in table.iterrows()}


def test_without_strokes_the_page_asks_for_them(page):
    assert page.title[0].value == "From clustering to learning"
    # What to notice comes first, and no classifier runs yet: a clear prompt instead.
    assert "no idea what you want" in page.info[0].value
    assert any("paint at least one stroke in each of **two classes**" in i.value
               for i in page.info)
    assert not any(m.label == "Classifier time" for m in page.metric)
    # Two classes to paint with by default; Try this is the last section.
    assert len(page.radio(key="learning_class").options) == 2
    assert page.subheader[-1].value == "Try this"


def test_example_strokes_on_shapes_train_a_classifier_scored_next_to_kmeans(page):
    at = use_examples(on_sample(page, "shapes"))
    # The example's classes become the paint classes: sand, disc (both discs), square, triangle.
    assert at.slider(key="learning_n_classes").value == 4
    assert any("sand, disc, square, triangle" in c.value for c in at.main.caption)
    # The classifier trained, in well under the time a student waits, and is scored
    # next to k-means with k = 4 against the ground truth.
    assert float(metric(at, "Classifier time").removesuffix(" s")) < 30
    table = scores(at)
    assert set(table) == {"classifier", "k-means, k = 4"}
    assert table["classifier"]["ARI"] > 0.9
    assert table["classifier"]["mean best IoU"] > 0.9


def test_on_the_balloons_the_classifier_beats_kmeans(page):
    # Sky, field and "balloon" (six colours): k-means with k = 3 cannot group six colours
    # into one segment; the classifier learns the class from a few strokes.
    at = use_examples(on_sample(page, "stuck"))
    table = scores(at)
    learned, clustered = table["classifier"], table["k-means, k = 3"]
    assert learned["mean best IoU"] > clustered["mean best IoU"] + 0.1
    assert learned["ARI"] > clustered["ARI"]


def test_photo_without_truth_gets_kmeans_examples_clearly_labelled(page):
    # The default sample (a photo) has no ground truth: the examples come from k-means,
    # the page says so, and shows no score table.
    at = use_examples(page)
    assert any("Example strokes taken from k-means" in c.value for c in at.main.caption)
    assert any("no ground truth" in c.value for c in at.main.caption)
    assert not at.table or "method" not in at.table[0].value.columns
    assert metric(at, "Classifier time").endswith(" s")


def test_clear_strokes_goes_back_to_the_prompt(page):
    at = use_examples(on_sample(page, "cells"))
    assert any(m.label == "Classifier time" for m in at.metric)
    at.button(key="learning_clear").click().run()
    assert not at.exception
    assert not any(m.label == "Classifier time" for m in at.metric)
    assert any("No stroke yet" in i.value for i in at.info)


def test_try_this_loads_the_balloons(page):
    page.button(key="learning_try_this").click().run()
    assert not page.exception
    assert page.session_state["sample"] == "stuck"
    assert page.title[0].value == "From clustering to learning"


def upload(at: AppTest, picture: np.ndarray) -> AppTest:
    """Upload ``picture`` as a PNG in the sidebar."""
    from segmentation import encode_png

    at.radio(key="image_source").set_value("upload").run()
    at.file_uploader(key="upload").set_value(("picture.png", encode_png(picture),
                                              "image/png")).run()
    assert not at.exception, at.exception
    return at


def test_upload_of_two_flat_colours(page):
    # Two colours only: examples for 3 classes cannot come from k-means (a message, no
    # exception, nothing trained); for 2 classes they do, and the classifier splits the halves.
    picture = np.zeros((60, 90, 3), dtype=np.uint8)
    picture[:, 45:] = (250, 250, 0)
    at = upload(page, picture)
    at.slider(key="learning_n_classes").set_value(3).run()
    at = use_examples(at)
    assert any("No example strokes" in t.value for t in at.toast)
    assert not any(m.label == "Classifier time" for m in at.metric)
    at.slider(key="learning_n_classes").set_value(2).run()
    at = use_examples(at)
    assert metric(at, "Disagree") == "0 %"  # the classifier learned exactly k-means' halves


# --------------------------------------------------------------------------- #
# In a real browser: paint two strokes with the mouse
# --------------------------------------------------------------------------- #
CANVAS = '[class*="st-key-learning_canvas_"] canvas.upper-canvas'  # Fabric's input layer


def drag(page, box: dict, points: list[tuple[float, float]]) -> None:
    """Press the mouse at the first point (canvas pixels), move through the others, release."""
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
    page.mouse.up()


@pytest.mark.browser
def test_two_painted_strokes_train_the_classifier(new_page, streamlit_server, wait_for_app,
                                                 screenshot_dir):
    from playwright.sync_api import expect

    page = new_page({"width": 1366, "height": 900})
    page.goto(f"{streamlit_server}/learning?sample=shapes", wait_until="domcontentloaded")
    wait_for_app(page)
    canvas = page.locator(CANVAS)
    expect(canvas).to_be_visible()
    # Shapes at 160 x 120 px on a 352 x 264 canvas: sand above the discs, the left disc
    # centred at (66, 81) with a radius of 44 canvas pixels.
    drag(page, canvas.bounding_box(), [(150, 28), (175, 30), (200, 27)])  # class 1: sand
    wait_for_app(page)
    expect(page.get_by_text("class 1 is painted", exact=False)).to_be_visible()
    page.locator(".st-key-learning_class").get_by_text("class 2").click()
    wait_for_app(page)
    drag(page, page.locator(CANVAS).bounding_box(), [(50, 75), (66, 82), (82, 88)])  # disc
    wait_for_app(page)
    caption = page.get_by_text("Classifier: 2 classes learned from", exact=False)
    expect(caption).to_be_visible()
    painted = int(caption.inner_text().split("from ")[1].split(" painted")[0].replace(",", ""))
    assert 10 <= painted <= 400  # two short strokes, about 4 picture pixels wide
    expect(page.locator('[data-testid="stMetricLabel"]', has_text="Classifier time")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert not page.js_errors
    page.screenshot(path=screenshot_dir / "learning_two_strokes.png")
