"""AppTest of the Clean-up page and of Explore's "Clean up" switch.

The page is reached through app.py's navigation (the shared sidebar runs
first). Its numbers are checked against a direct call of
:func:`segmentation.postprocess.clean_steps` on Explore's working image and
k-means result; the switch's pictures, table, downloads and link against
:func:`segmentation.postprocess.clean`.
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
from PIL import Image
from streamlit.testing.v1 import AppTest

from segmentation import encode_png, segment
from segmentation.params import SegmentParams
from segmentation.postprocess import CLEAN_DEFAULTS, clean, clean_steps, connected_regions
from segmentation.samples import load_sample
from segmentation.visualize import downscale_image

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds: a shared 2-core machine
CLEANUP = "app_pages/cleanup.py"
EXPLORE = "app_pages/explore.py"


# --------------------------------------------------------------------------- #
# Fixtures and helpers
# --------------------------------------------------------------------------- #
@pytest.fixture
def app() -> AppTest:
    """The app, not yet run."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


@pytest.fixture
def page(app) -> AppTest:
    """The Clean-up page, opened through the navigation on the default picture."""
    app.run()
    app.switch_page(CLEANUP).run()
    assert not app.exception, app.exception
    return app


@pytest.fixture(scope="module")
def astronaut():
    """Explore's working image of the default sample and its default k-means labels."""
    image = downscale_image(load_sample("astronaut"), 512)
    return image, segment(image, **SegmentParams().segment_kwargs()).labels


@pytest.fixture
def recorded(recorded_downloads):
    """File name -> payload builder of every download drawn from now on (conftest)."""
    return recorded_downloads


def payload(builders: dict, name: str) -> bytes:
    """The bytes a click on the download called ``name`` gives."""
    data = builders[name]()
    return data.encode("utf-8") if isinstance(data, str) else data


def decode_png(data: bytes) -> np.ndarray:
    """Pixels of a PNG, exactly as stored."""
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture)


def metrics(at: AppTest, label: str) -> list[str]:
    """Values of every metric called ``label``, in page order."""
    return [m.value for m in at.metric if m.label == label]


def step_regions(at: AppTest) -> list[int]:
    """The connected-region count shown after each of the four steps."""
    return [int(value.replace(",", "")) for value in metrics(at, "Regions")]


def step_segments(at: AppTest) -> list[int]:
    """The segment count shown after each of the four steps."""
    return [int(value) for value in metrics(at, "Segments")[1:]]  # [0]: the before/after row


def summary_regions(at: AppTest) -> int:
    """The connected regions of the cleaned result, in the before/after row."""
    return int(metrics(at, "Connected regions")[0].replace(",", ""))


def expected_rows(labels, image, **settings) -> tuple[list[int], list[int]]:
    """Regions and segments after each of the four steps (a step switched off repeats the
    count before it), from a direct call of clean_steps."""
    steps = clean_steps(labels, image, **settings)
    by_name = {step.name: step for step in steps.steps}
    regions, segments, last = [], [], steps.steps[0]
    for name in ("remove small regions", "fill holes", "merge similar", "smooth"):
        last = by_name.get(name, last)
        regions.append(last.n_regions)
        segments.append(last.n_segments)
    return regions, segments


def stats_pixels(at: AppTest) -> list[int]:
    """The ``pixels`` column of Explore's statistics table (static HTML)."""
    import xml.etree.ElementTree as ET

    html = next(m.value for m in at.markdown if "<table>" in m.value)
    table = ET.fromstring(html).find("table")
    header = [th.text for th in table.find("thead").iter("th")]
    column = header.index("pixels")
    return [int([td.text for td in tr.iter("td")][column].replace(",", ""))
            for tr in table.find("tbody").iter("tr")]


def share_text(at: AppTest) -> str:
    """The link shown under "Share these settings"."""
    text = next(m.value for m in at.markdown if m.value.startswith("["))
    return text[1:text.index("](")]


# --------------------------------------------------------------------------- #
# The Clean-up page
# --------------------------------------------------------------------------- #
def test_page_shows_each_step_with_the_counts_of_clean_steps(page, astronaut):
    # One bordered section per step, each with its switch and its counts after
    # the step; the counts are those of clean_steps with CLEAN_DEFAULTS on
    # Explore's own k-means labels.
    image, labels = astronaut
    assert page.title[0].value == "Clean-up"
    assert page.info[0].value.startswith("k-means labels each pixel")  # what to notice, first
    assert [t.key for t in page.toggle if t.key in ("cleanup_small", "cleanup_fill",
                                                    "cleanup_merge", "cleanup_smooth")] == [
        "cleanup_small", "cleanup_fill", "cleanup_merge", "cleanup_smooth"]
    regions, segments = expected_rows(labels, image, **CLEAN_DEFAULTS)
    assert step_regions(page) == regions
    assert step_segments(page) == segments
    assert summary_regions(page) == regions[-1] < connected_regions(labels).count
    # Each step says its time, or that it is off (hole filling is off by default).
    times = [c.value for c in page.main.caption if c.value.startswith("Time: ")]
    assert len(times) == 4 and times[1] == "Time: 0 ms (off)"
    assert "min_size=128" in times[0]
    assert any("Switched off" in i.value for i in page.info)
    # The table: k-means, then each step switched on.
    table = page.table[0].value
    assert list(table["step"]) == ["input", "remove small regions", "merge similar", "smooth"]
    # The page explains connected regions, the defaults and where they come from.
    text = " ".join(m.value for m in page.markdown)
    assert "connected regions" in text and "skimage.measure.label" in text
    assert "bench/quality.py" in text and "assets/ground_truth" in text
    assert page.get("download_button")[0].key == "cleanup_download_mask"
    assert page.button(key="cleanup_try_this")  # "try this" closes the page
    # It computed at Explore's working size and says so.
    assert any("working size 512 x 512" in c.value for c in page.main.caption)


def test_turning_a_step_off_changes_the_counts(page, astronaut):
    # Without the small-region step, step 1 leaves every speck and the result differs.
    image, labels = astronaut
    before = step_regions(page)
    page.toggle(key="cleanup_small").set_value(False).run()
    assert not page.exception
    after = step_regions(page)
    assert after[0] == connected_regions(labels).count > before[0]
    assert after != before
    assert after == expected_rows(labels, image, **{**CLEAN_DEFAULTS, "min_size": 0})[0]
    assert page.select_slider(key="cleanup_min_size").disabled
    # Back to the defaults: the button restores them.
    page.button(key="cleanup_defaults").click().run()
    assert step_regions(page) == before
    assert page.button(key="cleanup_defaults").disabled


def test_changing_a_parameter_changes_the_result_and_its_download(page, astronaut, recorded):
    # A high merge threshold merges whole segments: fewer segments and regions; the
    # mask download is exactly the labels of the last step.
    image, labels = astronaut
    default_regions = summary_regions(page)
    page.slider(key="cleanup_merge_threshold").set_value(70.0).run()
    assert not page.exception
    settings = {**CLEAN_DEFAULTS, "merge_threshold": 70.0}
    regions, segments = expected_rows(labels, image, **settings)
    assert step_regions(page) == regions and step_segments(page) == segments
    assert summary_regions(page) == regions[-1] < default_regions
    assert segments[-1] < 4
    mask = decode_png(payload(recorded, "astronaut_k4_clean_labels.png"))
    np.testing.assert_array_equal(mask, clean(labels, image, **settings))
    # Explore's switch uses the defaults: the page says so when the settings differ.
    assert any("uses the defaults" in c.value for c in page.main.caption)


def test_every_view_and_the_highlight_draw_without_error(page):
    for view in ("regions", "boundaries", "segments"):
        page.radio(key="cleanup_view").set_value(view).run()
        assert not page.exception
    page.toggle(key="cleanup_highlight").set_value(True).run()
    assert not page.exception
    captions = [c for image in page.main.get("image") for c in image.captions]
    assert any("pixels moved" in caption for caption in captions)


def test_try_this_scores_the_steps_against_the_ground_truth(page):
    # Shapes, k = 6, Lab colour only: tens of thousands of regions, and the Rand
    # index against the exact masks rises with the clean-up.
    page.button(key="cleanup_try_this").click().run()
    assert not page.exception
    assert page.title[0].value == "Clean-up"
    assert page.session_state["sample"] == "shapes" and page.slider(key="k").value == 6
    assert page.toggle(key="position").value is False
    assert page.table[0].value["connected regions"].iloc[0] > 1000  # k-means' confetti
    scores = page.table[1].value
    assert scores["Rand index"].iloc[-1] > scores["Rand index"].iloc[0]
    assert (scores["variation of information (bits)"].iloc[-1]
            < scores["variation of information (bits)"].iloc[0])


def test_open_explore_button_switches_the_clean_up_on(page):
    page.button(key="cleanup_open_explore").click().run()
    assert not page.exception
    assert page.title[0].value == "k-means segmentation"
    assert page.toggle(key="explore_clean").value is True
    assert metrics(page, "Connected regions")


# --------------------------------------------------------------------------- #
# Explore's "Clean up" switch
# --------------------------------------------------------------------------- #
def test_explore_switch_shows_the_cleaned_result(app, astronaut):
    # Off by default. On: the table and the region count are those of
    # clean(labels, image); the step control still shows k-means itself.
    image, labels = astronaut
    app.run()
    assert app.toggle(key="explore_clean").value is False
    raw_pixels = stats_pixels(app)
    step = app.select_slider(key="explore_step").value
    assert not metrics(app, "Connected regions")
    app.toggle(key="explore_clean").set_value(True).run()
    assert not app.exception
    cleaned = clean(labels, image)
    assert stats_pixels(app) == np.bincount(cleaned.ravel(), minlength=4).tolist() != raw_pixels
    assert summary_regions(app) == connected_regions(cleaned).count
    assert summary_regions(app) < connected_regions(labels).count
    assert app.select_slider(key="explore_step").value == step  # the k-means run, untouched
    captions = [c for image in app.main.get("image") for c in image.captions]
    assert any(c.startswith("Cleaned-up segments at") for c in captions)
    assert any("cleaned-up" in c.value for c in app.main.caption)
    # The first screen's picture is k-means' own result, and says so.
    assert any("segments of the result" in c and "Before the clean-up" in c for c in captions)
    app.toggle(key="explore_clean").set_value(False).run()
    assert stats_pixels(app) == raw_pixels


def test_explore_switch_downloads_reproduce_the_cleaned_result(app, recorded, tmp_path):
    # Opened by a link with explore_clean=true: every file is of the cleaned labels,
    # byte for byte what `python -m segmentation --clean` writes; the JSON and the
    # script say so; the GIF stays the k-means convergence.
    from segmentation.cli import main as cli_main

    app.query_params.update(sample="coins", max_side="256", explore_clean="true")
    app.run()
    assert not app.exception
    assert app.toggle(key="explore_clean").value is True
    captions = [c for picture in app.main.get("image") for c in picture.captions]
    assert any("Before the clean-up" in c for c in captions)  # known from the link already
    image = downscale_image(load_sample("coins"), 256)
    result = segment(image, **SegmentParams().segment_kwargs())
    cleaned = clean(result.labels, image)
    names = sorted(recorded)
    assert names == sorted(["coins_k4_clean_labels.png", "coins_k4_clean_overlay.png",
                            "coins_k4_clean_stats.csv", "coins_k4_clean_parameters.json",
                            "coins_k4_convergence.gif", "coins_k4_clean_reproduce.py"])
    np.testing.assert_array_equal(decode_png(payload(recorded, "coins_k4_clean_labels.png")),
                                  cleaned)
    rows = list(csv.DictReader(io.StringIO(
        payload(recorded, "coins_k4_clean_stats.csv").decode("utf-8"))))
    assert [int(row["pixels"]) for row in rows] == np.bincount(cleaned.ravel(),
                                                               minlength=4).tolist()
    assert [int(row["pixels"]) for row in rows] == stats_pixels(app)
    # The command line with --clean writes the same three files.
    (tmp_path / "coins_k4_clean.png").write_bytes(encode_png(image))
    out = tmp_path / "out"
    assert cli_main([str(tmp_path / "coins_k4_clean.png"), "--out", str(out), "--quiet",
                     "--alpha", "0.5", "--clean"]) == 0
    for file in sorted(out.iterdir()):
        assert file.read_bytes() == payload(recorded, file.name), file.name
    parameters = json.loads(payload(recorded, "coins_k4_clean_parameters.json"))
    assert parameters["clean"] == CLEAN_DEFAULTS
    with Image.open(io.BytesIO(payload(recorded, "coins_k4_convergence.gif"))) as gif:
        assert gif.n_frames == result.n_iter + 1
    # The script calls clean() and prints the cleaned sizes, from any folder.
    script = tmp_path / "reproduce.py"
    script.write_bytes(payload(recorded, "coins_k4_clean_reproduce.py"))
    assert "labels = clean(" in script.read_text()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1]) == stats_pixels(app)


def test_explore_share_link_carries_the_switch(app):
    # The shared link says explore_clean=true, and opening it restores the cleaned result.
    app.query_params.update(sample="coins", max_side="256")
    app.run()
    assert "explore_clean" not in share_text(app)
    app.toggle(key="explore_clean").set_value(True).run()
    link = share_text(app)
    assert link == "?sample=coins&max_side=256&explore_clean=true"
    reopened = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    reopened.query_params.update(dict(parse_qsl(link.lstrip("?"))))
    reopened.run()
    assert reopened.toggle(key="explore_clean").value is True
    assert stats_pixels(reopened) == stats_pixels(app)


def test_cleaned_segmentation_is_clean_with_its_defaults(astronaut):
    # The switch (cache.cleaned_segmentation, via the CLI's cleaned()) and the page's
    # default settings (cache.CleanSettings()) give the same labels as clean().
    from ui import cache

    image, labels = astronaut
    assert cache.CleanSettings().kwargs() == CLEAN_DEFAULTS
    np.testing.assert_array_equal(clean_steps(labels, image, **cache.CleanSettings().kwargs())
                                  .labels, clean(labels, image))
