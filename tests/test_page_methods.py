"""AppTest of the Other methods page (app_pages/methods.py), through app.py's navigation.

The page must load on the default picture, show every method's time and
region count, let the hierarchy slider choose the number of regions, react
to SLIC's compactness in the agreement it reports, and report the measured
speed-up of k-means on superpixels. The cached computations are shared by
the tests (st.cache_resource lives in the process), as by a class.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds: a cold page runs SLIC and k-means some 30 times on a busy machine
METHODS = "app_pages/methods.py"
AGREEMENT = "Agreement (adjusted Rand index)"


@pytest.fixture
def at() -> AppTest:
    """The Other methods page, opened through the navigation; no exception allowed."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    app.switch_page(METHODS).run()
    assert not app.exception, app.exception
    return app


def metric(at: AppTest, label: str) -> str:
    """The value of the metric called ``label``."""
    return next(m.value for m in at.metric if m.label == label)


def plotly_spec(at: AppTest, key: str) -> dict:
    """The Plotly figure of the element with ``key``, as sent to the browser."""
    chart = next(chart for chart in at.get("plotly_chart") if key in chart.proto.id)
    return json.loads(chart.proto.spec)


def trace(spec: dict, name: str) -> dict:
    """The trace called ``name`` of a figure spec."""
    return next(t for t in spec["data"] if t.get("name") == name)


def values(data) -> np.ndarray:
    """A spec's array: a plain list, or Plotly's typed-array form {dtype, bdata, shape}."""
    if isinstance(data, dict):
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        shape = [int(n) for n in str(data.get("shape", array.size)).split(",")]
        return array.reshape(shape)
    return np.asarray(data)


def test_every_method_shows_its_time_and_region_count(at):
    assert at.title[0].value == "Other methods"
    table = at.table[0].value
    assert list(table["method"]) == ["Our k-means", "SLIC superpixels", "Felzenszwalb (graph)",
                                     "Hierarchical merging"]
    assert (table["time (ms)"] > 0).all()
    assert (table["connected regions"] >= table["segments"]).all()
    k = at.slider(key="k").value
    segments = dict(zip(table["method"], table["segments"]))
    assert segments["Our k-means"] == segments["Hierarchical merging"] == k
    assert segments["SLIC superpixels"] > 100  # about 400 asked for
    # Each picture's caption repeats its region count and time.
    captions = [caption for image in at.main.get("image") for caption in image.captions]
    for name, regions in zip(table["method"], table["connected regions"]):
        assert any(c.startswith(f"{name}: {regions:,} regions, ") and c.endswith(" ms")
                   for c in captions), (name, captions)
    assert any("160 x" in c.value for c in at.main.caption)  # says it works on a small copy


@pytest.mark.parametrize("n_regions", [20, 7, 2])
def test_hierarchy_slider_cuts_at_the_chosen_number_of_regions(at, n_regions):
    # The slider starts at k; each value shows that many regions (merged regions stay
    # connected, so never more), and the merge chart marks the cut.
    assert at.select_slider(key="methods_regions").value == at.slider(key="k").value
    at.select_slider(key="methods_regions").set_value(n_regions).run()
    assert not at.exception
    shown = int(metric(at, "Regions in the picture").replace(",", ""))
    assert 1 <= shown <= n_regions and shown == n_regions
    assert trace(plotly_spec(at, "methods_merge_chart"), "your cut")["x"] == [n_regions]


def test_compactness_changes_the_agreement_and_the_equivalent_weight(at):
    before = metric(at, AGREEMENT)
    assert metric(at, "Equivalent weight for m = 10") == "0.20"  # 10 * 159 / (100 * 80)
    at.select_slider(key="methods_compactness").set_value(100.0).run()
    assert not at.exception
    assert metric(at, AGREEMENT) != before
    assert metric(at, "Equivalent weight for m = 100") == "1.99"
    share = float(metric(at, "Pixels agreeing").removesuffix(" %"))
    assert 0 < share <= 100


def test_equivalent_weight_button_moves_the_kmeans_slider_and_agreement_rises(at):
    # Strong position (m = 100) against colour alone disagrees; the button sets the
    # k-means weight to m's equivalent, where the two agree better.
    at.select_slider(key="methods_compactness").set_value(100.0)
    at.slider(key="methods_weight").set_value(0.0).run()
    at_zero = float(metric(at, AGREEMENT))
    at.button(key="methods_equivalent").click().run()
    assert not at.exception
    assert at.slider(key="methods_weight").value == pytest.approx(2.0)
    assert float(metric(at, AGREEMENT)) > at_zero + 0.3


def test_agreement_heat_map_marks_the_equivalent_weights_and_your_settings(at):
    spec = plotly_spec(at, "methods_agreement_chart")
    heat = spec["data"][0]
    assert heat["type"] == "heatmap"
    ari = values(heat["z"])
    assert ari.shape == (7, 9) and ari.min() >= -1 and ari.max() <= 1  # compactness x weight
    # The equivalent weight rises with the compactness, one per row, left to right.
    equivalent = values(trace(spec, "equivalent weight")["x"])
    assert equivalent.shape == (7,) and (np.diff(equivalent) > 0).all()
    # Compactness 10 is row 3; weight 0.3 is column 4 of (0, .05, .1, .2, .3, ...).
    yours = trace(spec, "your settings")
    assert (yours["x"], yours["y"]) == ([4.0], [3])


def test_superpixel_speedup_and_quality_change_are_reported(at):
    speedup = metric(at, "Speed-up")
    assert speedup.endswith("×") and float(speedup.removesuffix("×")) > 0
    assert -1 <= float(metric(at, "Agreement with pixel k-means (ARI)")) <= 1
    assert metric(at, "Inertia change (pixel features)").endswith(" %")
    assert any("SLIC alone takes" in c.value and speedup.removesuffix("×") in c.value
               for c in at.main.caption)


def test_try_this_sets_compactness_and_weight(at):
    at.button(key="methods_try_this").click().run()
    assert not at.exception
    assert at.select_slider(key="methods_compactness").value == 100.0
    assert at.slider(key="methods_weight").value == 0.0
    assert at.title[0].value == "Other methods"
