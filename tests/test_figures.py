"""Tests of ui/figures.py: the convergence animation and the feature space, built without a browser."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from segmentation import extract_features, segment
from segmentation.visualize import segment_colors
from ui.figures import (
    CENTERS_TRACE,
    MARKER_TRACE,
    MAX_FIGURE_BYTES,
    OVERLAY_TRACE,
    PATHS_TRACE,
    PLOTLY_CONFIG,
    POINTS_TRACE,
    TEXT_COLOR,
    convergence_figure,
    data_uri,
    feature_projection,
    feature_sample,
    feature_space_figure,
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


# --------------------------------------------------------------------------- #
# Feature space
# --------------------------------------------------------------------------- #
@pytest.fixture
def big_photo() -> np.ndarray:
    """A 80 x 90 noisy photo (7200 pixels, more than the 3000 drawn): four colour blocks."""
    rng = np.random.default_rng(5)
    image = np.empty((80, 90, 3), dtype=np.float64)
    image[:40, :45], image[:40, 45:] = (200, 40, 40), (40, 160, 60)
    image[40:, :45], image[40:, 45:] = (30, 60, 190), (230, 210, 60)
    return np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)


@pytest.fixture
def lab_run(big_photo):
    """k=4 on Lab + position, random start so the centres travel for a few iterations."""
    return segment(big_photo, k=4, color="lab", position_weight=0.3, init="random", seed=2)


def space_figure(photo, run, **kwargs):
    """The feature-space figure of ``run``, from freshly extracted features."""
    features = extract_features(photo, run.spec)
    return feature_space_figure(features.values, features.names, run.states, **kwargs)


def test_feature_space_traces_and_frames(big_photo, lab_run):
    # Three traces (points, paths, centres); one frame per iteration, named like the
    # convergence animation's frames, each updating all three traces.
    figure = space_figure(big_photo, lab_run)
    assert [trace.name for trace in figure.data] == ["pixels", "centre paths", "centres"]
    assert (POINTS_TRACE, PATHS_TRACE, CENTERS_TRACE) == (0, 1, 2)
    assert [frame.name for frame in figure.frames] == [str(i) for i in range(lab_run.n_iter + 1)]
    assert all(list(frame.traces) == [0, 1, 2] for frame in figure.frames)
    assert lab_run.n_iter >= 2  # the fixture really moves


def test_feature_sample_is_fixed(big_photo, lab_run):
    # 3000 of the 7200 pixels, distinct, the same between calls and between runs with other k.
    first, second = space_figure(big_photo, lab_run), space_figure(big_photo, lab_run)
    assert len(first.data[POINTS_TRACE].x) == 3000
    np.testing.assert_array_equal(first.data[POINTS_TRACE].x, second.data[POINTS_TRACE].x)
    np.testing.assert_array_equal(first.data[POINTS_TRACE].y, second.data[POINTS_TRACE].y)
    other_k = segment(big_photo, k=3, color="lab", position_weight=0.3, seed=0)
    np.testing.assert_array_equal(first.data[POINTS_TRACE].x,
                                  space_figure(big_photo, other_k).data[POINTS_TRACE].x)
    sample = feature_sample(7200)
    assert len(np.unique(sample)) == 3000 and np.all(np.diff(sample) > 0)
    assert len(feature_sample(100)) == 100  # small images: every pixel


def test_points_are_the_sampled_features_projected(big_photo, lab_run):
    # With Lab, x = a and y = b of exactly the sampled pixels; colours = their segment per frame.
    features = extract_features(big_photo, lab_run.spec)
    figure = space_figure(big_photo, lab_run)
    sample = feature_sample(features.values.shape[0])
    a, b = features.names.index("a"), features.names.index("b")
    np.testing.assert_allclose(figure.data[POINTS_TRACE].x, features.values[sample, a], atol=1e-5)
    np.testing.assert_allclose(figure.data[POINTS_TRACE].y, features.values[sample, b], atol=1e-5)
    for i, frame in enumerate(figure.frames):
        np.testing.assert_array_equal(frame.data[0].marker.color, lab_run.states[i].labels[sample])


def test_centres_are_the_states_centres_projected(big_photo, lab_run):
    # Frame i's centres are state i's centres through the projection matrix, numbered 0..k-1.
    figure = space_figure(big_photo, lab_run)
    matrix = feature_projection(lab_run.feature_names).matrix  # (d, 2)
    for i, frame in enumerate(figure.frames):
        expected = lab_run.states[i].centers @ matrix  # (k, 2)
        centres = frame.data[2]
        np.testing.assert_allclose(np.column_stack([centres.x, centres.y]), expected)
        assert list(centres.text) == ["0", "1", "2", "3"]


def test_paths_end_at_the_current_centre(big_photo, lab_run):
    # In frame i, centre j's path is its positions at iterations 0..i, ending where it is now.
    figure = space_figure(big_photo, lab_run)
    matrix = feature_projection(lab_run.feature_names).matrix
    for i, frame in enumerate(figure.frames):
        xs, ys = list(frame.data[1].x), list(frame.data[1].y)
        assert xs.count(None) == lab_run.k  # one polyline per centre
        runs = [[]]
        for x, y in zip(xs, ys):
            if x is None:
                runs.append([])
            else:
                runs[-1].append((x, y))
        paths = runs[:-1]
        assert [len(path) for path in paths] == [i + 1] * lab_run.k
        for j, path in enumerate(paths):
            history = np.array([state.centers[j] @ matrix for state in lab_run.states[:i + 1]])
            np.testing.assert_allclose(path, history)
            np.testing.assert_allclose(path[-1], [frame.data[2].x[j], frame.data[2].y[j]])


def test_initial_view_and_fixed_ranges(big_photo, lab_run):
    # The figure opens on the requested iteration (default: the last); the axis ranges
    # hold every point and every centre position, so nothing rescales while playing.
    figure = space_figure(big_photo, lab_run, iteration=1)
    np.testing.assert_array_equal(figure.data[0].marker.color, figure.frames[1].data[0].marker.color)
    last = space_figure(big_photo, lab_run)
    assert list(last.data[2].x) == list(last.frames[-1].data[2].x)
    x_low, x_high = figure.layout.xaxis.range
    for frame in figure.frames:
        assert all(x_low <= x <= x_high for x in frame.data[2].x)
    assert x_low <= min(figure.data[0].x) and max(figure.data[0].x) <= x_high
    assert figure.layout.yaxis.scaleanchor == "x" and figure.layout.yaxis.scaleratio == 1
    with pytest.raises(ValueError, match="iteration=99"):
        space_figure(big_photo, lab_run, iteration=99)


@pytest.mark.parametrize("names, x_title, y_title", [
    (("L", "a", "b", "row", "col"), "a* (green - red)", "b* (blue - yellow)"),
    (("red", "green", "blue", "row", "col"), "column (position)", "brightness"),
    (("gray", "texture", "row", "col"), "column (position)", "brightness"),
    (("row", "col"), "column", "row"),
    (("red", "green", "blue"), "red", "green"),
    (("hue_cos", "hue_sin", "saturation", "value"), "hue (cos)", "hue (sin)"),
    (("gray", "texture"), "gray", "texture"),
    (("gray",), "gray", ""),
])
def test_projection_rule(names, x_title, y_title):
    # The documented rule picks these axes; the matrix is (d, 2) with unit or luma weights.
    projection = feature_projection(names)
    assert (projection.x_title, projection.y_title) == (x_title, y_title)
    assert projection.matrix.shape == (len(names), 2)
    assert projection.reason.endswith(".")


def test_feature_space_bad_input(big_photo, lab_run):
    # Mismatched names or rows, or no states: ValueError naming the argument.
    features = extract_features(big_photo, lab_run.spec).values
    with pytest.raises(ValueError, match="features must be"):
        feature_space_figure(features, ("a", "b"), lab_run.states)
    with pytest.raises(ValueError, match="states must label"):
        feature_space_figure(features[:10], lab_run.feature_names, lab_run.states)
    with pytest.raises(ValueError, match="at least one"):
        feature_space_figure(features, lab_run.feature_names, [])


def test_feature_space_figure_is_small():
    # A 512 x 512 run: 3000 points plus one small frame per iteration, well under 1 MB.
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    run = segment(photo, k=6, max_iter=30, init="random", seed=0)
    figure = space_figure(photo, run)
    assert figure_size_bytes(figure) < 1_000_000


# --------------------------------------------------------------------------- #
# Accessibility of every figure
# --------------------------------------------------------------------------- #
def relative_luminance(hex_color: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour '#rrggbb'."""
    channels = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), lighter over darker."""
    lighter, darker = sorted([relative_luminance(foreground), relative_luminance(background)],
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_ratio_formula():
    # WCAG's own anchors: black on white is 21:1; Plotly's grey under Streamlit's theme fails.
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#808495", "#FFFFFF") < 4.5


def all_text_colors(figure):
    """Every text colour set in the layout (fonts of axes, annotations, sliders, menus)."""
    layout = figure.layout
    colors = [layout.font.color]
    for name in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        axis = layout[name] if name in layout else None
        if axis is not None and axis.title.text:
            colors += [axis.tickfont.color, axis.title.font.color]
    colors += [annotation.font.color for annotation in layout.annotations]
    colors += [slider.font.color for slider in layout.sliders]
    colors += [slider.currentvalue.font.color for slider in layout.sliders]
    colors += [menu.font.color for menu in layout.updatemenus]
    return colors


def test_chart_text_meets_wcag_aa(photo, run, big_photo, lab_run):
    # Every text of both figures uses TEXT_COLOR, at least 4.5:1 on white (WCAG AA, normal text).
    assert contrast_ratio(TEXT_COLOR, "#FFFFFF") >= 4.5
    for figure in (build(photo, run), space_figure(big_photo, lab_run)):
        colors = all_text_colors(figure)
        assert len(colors) >= 3 and set(colors) == {TEXT_COLOR}


def test_plotly_config_hides_the_toolbar():
    # The mode bar's buttons would only add tab stops.
    assert PLOTLY_CONFIG["displayModeBar"] is False


# --------------------------------------------------------------------------- #
# SVG charts of the first screen (ui/svg.py)
# --------------------------------------------------------------------------- #
def parse_svg(text: str):
    """The SVG document as an ElementTree root (fails on malformed XML)."""
    import xml.etree.ElementTree as ET

    return ET.fromstring(text)


def test_inertia_svg_marks_the_step(run):
    # The marker sits on the iteration shown: a dot at an assign, a dashed line at an update.
    inertias = [state.inertia for state in run.states]
    from ui.svg import inertia_svg

    dot = parse_svg(inertia_svg(inertias, 1))
    marked = [e for e in dot.iter() if e.get("data-step") is not None]
    assert [e.get("data-step") for e in marked] == ["1"] and marked[0].tag.endswith("circle")
    line = parse_svg(inertia_svg(inertias, 1, after_update=True))
    marked = [e for e in line.iter() if e.get("data-step") is not None]
    assert marked[0].tag.endswith("line") and marked[0].get("data-step") == "0.5"
    with pytest.raises(ValueError, match="after_update"):
        inertia_svg(inertias, 0, after_update=True)
    with pytest.raises(ValueError, match="iteration"):
        inertia_svg(inertias, len(inertias))


def test_inertia_svg_text_is_accessible_and_large_in_presentation(run):
    # Normal text in TEXT_COLOR (AA on white); presentation mode: black and 20 px.
    from ui.svg import inertia_svg

    inertias = [state.inertia for state in run.states]
    normal, large = inertia_svg(inertias, 0), inertia_svg(inertias, 0, large_text=True)
    fills = {e.get("fill") for e in parse_svg(normal).iter() if e.tag.endswith("text")}
    assert fills == {TEXT_COLOR}
    assert parse_svg(large).get("font-size") == "20"
    assert {e.get("fill") for e in parse_svg(large).iter() if e.tag.endswith("text")} == {"#000000"}


def test_inertia_svg_log_axis_spreads_the_late_iterations():
    # On a log axis the gap between two late, close values is drawn taller than on a linear one.
    from ui.svg import inertia_svg

    inertias = [1000.0, 20.0, 12.0, 11.0]

    def marker_y(svg: str, i: int) -> float:
        return float(next(e.get("cy") for e in parse_svg(svg).iter()
                          if e.get("data-step") == str(i)))

    linear = marker_y(inertia_svg(inertias, 2), 2) - marker_y(inertia_svg(inertias, 1), 1)
    log = (marker_y(inertia_svg(inertias, 2, log=True), 2)
           - marker_y(inertia_svg(inertias, 1, log=True), 1))
    assert log > 3 * linear > 0


def test_feature_space_svg_after_update_moves_centres_not_colours(photo, run):
    # After the update of iteration 1 the centres are iteration 1's, the points
    # still wear iteration 0's colours; at the assign they change.
    from ui.svg import feature_space_svg

    features = extract_features(photo, run.spec)
    if run.n_iter < 1:
        pytest.skip("the run converged at iteration 0")

    def groups(svg):
        root = parse_svg(svg)
        return {g.get("fill"): len(g) for g in root.iter() if g.tag.endswith("g")}

    def centres(svg):
        return [(e.get("cx"), e.get("cy")) for e in parse_svg(svg).iter()
                if e.get("data-centre") is not None]

    start = feature_space_svg(features.values, features.names, run.states, 0)
    update = feature_space_svg(features.values, features.names, run.states, 1, after_update=True)
    assign = feature_space_svg(features.values, features.names, run.states, 1)
    assert groups(update) == groups(start)
    assert centres(update) == centres(assign)
    assert len(centres(assign)) == run.k


def test_inertia_svg_zoom_fits_the_later_iterations():
    # Zoomed, the axis fits iterations 1 onwards: their marker spread grows, and
    # the first point leaves the plot upwards (clipped).
    from ui.svg import inertia_svg

    inertias = [1000.0, 20.0, 12.0, 11.0]

    def marker_y(svg: str, i: int) -> float:
        return float(next(e.get("cy") for e in parse_svg(svg).iter()
                          if e.get("data-step") == str(i)))

    plain = marker_y(inertia_svg(inertias, 3), 3) - marker_y(inertia_svg(inertias, 1), 1)
    zoomed = (marker_y(inertia_svg(inertias, 3, zoom=True), 3)
              - marker_y(inertia_svg(inertias, 1, zoom=True), 1))
    assert zoomed > 10 * plain > 0
    assert marker_y(inertia_svg(inertias, 0, zoom=True), 0) < 0  # above the top: clipped
