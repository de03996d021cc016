"""Tests of ui/figures.py: the Plotly convergence animation, built without a browser."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from segmentation import segment
from segmentation.visualize import segment_colors
from ui.figures import (
    MARKER_TRACE,
    MAX_FIGURE_BYTES,
    OVERLAY_TRACE,
    convergence_figure,
    data_uri,
    figure_size_bytes,
)


@pytest.fixture
def photo() -> np.ndarray:
    """A 40 x 60 photo: dark left half, bright right half, a red square."""
    image = np.full((40, 60, 3), 30, dtype=np.uint8)
    image[:, 30:] = 220
    image[10:20, 10:20] = (200, 0, 0)
    return image


@pytest.fixture
def run(photo):
    """A real k-means run on the photo: random start, so it takes a few iterations."""
    return segment(photo, k=3, init="random", seed=1, position_weight=0.3)


def decode_uri(uri: str) -> np.ndarray:
    """The pixels of a base64 data URI."""
    payload = uri.split(",", 1)[1]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))))


def data_uris(node):
    """Every data URI string anywhere in a parsed figure JSON."""
    if isinstance(node, dict):
        for value in node.values():
            yield from data_uris(value)
    elif isinstance(node, list):
        for value in node:
            yield from data_uris(value)
    elif isinstance(node, str) and node.startswith("data:"):
        yield node


def build(photo, run, **kwargs):
    """The convergence figure of ``run``."""
    frames = [run.labels_at(i) for i in range(run.n_iter + 1)]
    return convergence_figure(photo, frames, [s.inertia for s in run.states], **kwargs)


def test_one_frame_per_iteration(photo, run):
    # n_iter + 1 frames (iteration 0 is the initial assignment), named by iteration.
    figure = build(photo, run)
    assert len(figure.frames) == run.n_iter + 1
    assert [frame.name for frame in figure.frames] == [str(i) for i in range(run.n_iter + 1)]


def test_slider_has_a_step_per_frame(photo, run):
    # Step i animates to frame i, and there is exactly one slider and one Play/Pause menu.
    figure = build(photo, run)
    (slider,) = figure.layout.sliders
    assert [list(step.args[0]) for step in slider.steps] == [[f.name] for f in figure.frames]
    assert [step.label for step in slider.steps] == [frame.name for frame in figure.frames]
    (menu,) = figure.layout.updatemenus
    assert [button.label for button in menu.buttons] == ["▶ Play", "❚❚ Pause"]
    assert menu.buttons[0].args[0] is None  # Play: all frames, from the current one
    assert menu.buttons[0].args[1]["fromcurrent"] is True


def test_marker_follows_inertia(photo, run):
    # In frame i the marker sits at (i, inertia of iteration i); the curve holds all of them.
    figure = build(photo, run)
    for i, frame in enumerate(figure.frames):
        marker = frame.data[1]
        assert list(marker.x) == [i]
        assert list(marker.y) == [pytest.approx(run.states[i].inertia)]
    curve = figure.data[2]
    assert list(curve.y) == pytest.approx([s.inertia for s in run.states])
    assert all(b <= a + 1e-6 * a for a, b in zip(curve.y, curve.y[1:]))  # Lloyd never goes up


def test_frames_update_only_overlay_and_marker(photo, run):
    # Frames touch traces [overlay, marker]; the photo is a single JPEG in the whole JSON.
    figure = build(photo, run)
    assert all(list(frame.traces) == [OVERLAY_TRACE, MARKER_TRACE] for frame in figure.frames)
    uris = list(data_uris(json.loads(figure.to_json())))
    assert sum(uri.startswith("data:image/jpeg") for uri in uris) == 1
    assert figure.data[0].source.startswith("data:image/jpeg")
    assert sum(uri.startswith("data:image/png") for uri in uris) == 1 + len(figure.frames)


def test_overlay_frame_is_the_iteration_labels(photo, run):
    # Frame i's PNG paints each pixel with its segment's palette colour at the chosen opacity.
    figure = build(photo, run, alpha=0.4)
    colors = segment_colors(run.k)
    for i in (0, run.n_iter):
        rgba = decode_uri(figure.frames[i].data[0].source)
        assert rgba.shape == (40, 60, 4)  # small image: kept at full size
        assert np.array_equal(rgba[..., :3], colors[run.labels_at(i)])
        assert np.all(rgba[..., 3] == round(0.4 * 255))


def test_hand_made_frames():
    # Two hand-made frames: marker values and overlay colours are exactly the inputs.
    photo = np.zeros((2, 3, 3), dtype=np.uint8)
    frames = [np.array([[0, 0, 1], [0, 1, 1]]), np.array([[0, 1, 1], [1, 1, 1]])]
    figure = convergence_figure(photo, frames, [5.0, 2.5], alpha=1.0)
    assert [frame.data[1].y[0] for frame in figure.frames] == [5.0, 2.5]
    second = decode_uri(figure.frames[1].data[0].source)
    assert second[0, 0, :3].tolist() == segment_colors(2)[0].tolist()
    assert second[1, 0, :3].tolist() == segment_colors(2)[1].tolist()


def test_axes_are_labelled(photo, run):
    # The inertia plot says what its axes are; log scale on request.
    figure = build(photo, run, log_inertia=True)
    assert figure.layout.xaxis2.title.text == "iteration"
    assert figure.layout.yaxis2.title.text == "inertia"
    assert figure.layout.yaxis2.type == "log"
    assert build(photo, run).layout.yaxis2.type == "linear"


def test_long_noisy_run_stays_under_size_limit():
    # Worst case: 150 frames of random labels on a 512 px image still fit in 5 MB.
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (512, 384, 3), dtype=np.uint8)
    frames = [rng.integers(0, 12, (512, 384), dtype=np.uint8) for _ in range(150)]
    figure = convergence_figure(photo, frames, list(np.linspace(100, 1, 150)))
    assert len(figure.frames) == 150
    assert figure_size_bytes(figure) < MAX_FIGURE_BYTES
    # Overlays shrank to fit, but photo and overlays still line up pixel for pixel.
    overlay = decode_uri(figure.frames[0].data[0].source)
    assert decode_uri(figure.data[0].source).shape[:2] == overlay.shape[:2]
    assert max(overlay.shape[:2]) < 320


def test_real_photo_figure_is_small(run, photo):
    # An ordinary run is far below the limit.
    assert figure_size_bytes(build(photo, run)) < MAX_FIGURE_BYTES / 10


def test_bad_input_raises():
    # No frames, or one inertia per frame missing: ValueError naming the problem.
    photo = np.zeros((2, 2, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="at least one label image"):
        convergence_figure(photo, [], [])
    with pytest.raises(ValueError, match="one value per frame"):
        convergence_figure(photo, [np.zeros((2, 2), dtype=np.uint8)], [1.0, 2.0])


def test_data_uri_round_trip():
    # data_uri wraps bytes as base64 with the given MIME type.
    assert data_uri(b"\x00\xff", "image/gif") == "data:image/gif;base64,AP8="
