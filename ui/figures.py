"""Plotly figures of a k-means run, as plain functions returning ``go.Figure``.

The main one, :func:`convergence_figure`, is the lesson's centrepiece: the
photo on the left with the segments of iteration *i* on top, the inertia curve
on the right with a marker on iteration *i*, and one Play button and one
slider that move both together. It is built so the browser does the
animating, with no round trip to the server:

* the photo is sent **once**, as a JPEG data URI in a static ``go.Image``
  trace; every animation frame only replaces the overlay trace (a small
  translucent RGBA PNG of the segment colours) and the marker, by listing
  ``traces=[overlay, marker]`` in each ``go.Frame``;
* overlays are shrunk to about 320 px (nearest-neighbour, so no label is
  invented between two others) and, when a run has many iterations, further,
  until all of them fit :data:`OVERLAY_BYTES_BUDGET`, so the figure's JSON
  stays below :data:`MAX_FIGURE_BYTES`.

:func:`feature_space_figure` is the view no picture shows: a fixed sample of
pixels as points in feature space, coloured by segment, with the k centres and
the paths they took, one frame per iteration (named like the convergence
frames, so both can be driven by one iteration control).

Every figure uses :data:`TEXT_COLOR` for its text (WCAG AA contrast on white)
and is meant to be shown with :data:`PLOTLY_CONFIG` (no toolbar: its buttons
would only add tab stops).

Nothing here imports Streamlit: tests build the figures directly.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from PIL import Image

from segmentation import KMeansState
from segmentation.io import encode_png
from segmentation.visualize import downscale_image, mask_rgba, resize_labels, segment_colors

__all__ = [
    "CENTERS_TRACE",
    "FEATURE_SAMPLE_SIZE",
    "LARGE_FONT_SIZE",
    "MARKER_TRACE",
    "MAX_FIGURE_BYTES",
    "OVERLAY_BYTES_BUDGET",
    "OVERLAY_TRACE",
    "PATHS_TRACE",
    "PLOTLY_CONFIG",
    "POINTS_TRACE",
    "PRESENTATION_TEXT_COLOR",
    "TEXT_COLOR",
    "Projection",
    "convergence_figure",
    "data_uri",
    "check_feature_states",
    "feature_projection",
    "feature_sample",
    "feature_space_figure",
    "figure_size_bytes",
    "inertia_figure",
    "jpeg_data_uri",
]

# The Streamlit page must stay light for a class on one Wi-Fi: the test suite
# checks every figure's JSON against this size.
MAX_FIGURE_BYTES = 5_000_000
# Characters of overlay data URIs summed over all frames. Label PNGs of photos
# take about 0.5 character per pixel, so ~70 frames fit at 320 px; longer runs
# get smaller overlays. The rest of the figure (photo, curve, slider) is small.
OVERLAY_BYTES_BUDGET = 3_500_000
_MIN_SIDE = 32  # overlays never shrink below this long side
PHOTO_TRACE, OVERLAY_TRACE, CURVE_TRACE, MARKER_TRACE = 0, 1, 2, 3
POINTS_TRACE, PATHS_TRACE, CENTERS_TRACE = 0, 1, 2  # traces of feature_space_figure

# Streamlit's own body text colour: 12.6:1 on white (WCAG AA asks 4.5:1). Plotly's
# default under Streamlit's theme, #808495, gives 3.7:1.
TEXT_COLOR = "#31333F"
# Presentation mode (a projector washes colours out): black text, larger.
PRESENTATION_TEXT_COLOR = "#000000"
LARGE_FONT_SIZE = 20
# For st.plotly_chart(config=...): no mode bar (zoom, pan, download...). In a
# lesson its 8 buttons add tab stops and nothing a student needs; Plotly still
# zooms on drag and resets on double click.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False}
# Pixels drawn in the feature-space scatter: enough to see the clusters' shapes,
# few enough that each frame (one small integer per point) stays ~10 kB.
FEATURE_SAMPLE_SIZE = 3000


def data_uri(png: bytes, mime: str = "image/png") -> str:
    """Wrap encoded image bytes as a ``data:`` URI for Plotly or HTML.

    Examples
    --------
    >>> data_uri(b"abc")
    'data:image/png;base64,YWJj'
    """
    return f"data:{mime};base64,{base64.b64encode(png).decode('ascii')}"


def jpeg_data_uri(image: np.ndarray, quality: int = 85) -> str:
    """A photo (H, W, 3) uint8 as a JPEG data URI (photos only: JPEG blurs label edges)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="JPEG", quality=quality)
    return data_uri(buffer.getvalue(), "image/jpeg")


def figure_size_bytes(figure: go.Figure) -> int:
    """Size of the figure's JSON, which is what Streamlit sends to the browser."""
    return len(figure.to_json().encode("utf-8"))


def convergence_figure(
    image: np.ndarray,
    label_frames: Sequence[np.ndarray],
    inertias: Sequence[float],
    *,
    alpha: float = 0.5,
    max_side: int = 320,
    frame_ms: int = 500,
    log_inertia: bool = False,
    colors: np.ndarray | None = None,
    initial: int = 0,
    slider: bool = True,
) -> go.Figure:
    """Animate k-means: segments over the photo, and the inertia curve, per iteration.

    Parameters
    ----------
    image : (H, W, 3) ndarray of uint8
        The photo that was segmented.
    label_frames : sequence of (H, W) ndarray of int
        The labels after each iteration, iteration 0 first.
    inertias : sequence of float
        The inertia of each iteration, same length as ``label_frames``.
    alpha : float, default 0.5
        Opacity of the segment colours over the photo, in [0, 1].
    max_side : int, default 320
        Longest side of the photo and overlays in the figure, in pixels
        (smaller when there are many frames, see :data:`OVERLAY_BYTES_BUDGET`).
    frame_ms : int, default 500
        Time each frame stays on screen when playing.
    log_inertia : bool, default False
        Draw the inertia on a logarithmic axis.
    colors : (k, 3) ndarray of uint8, optional
        Segment colours; default ``segment_colors(k)``.
    initial : int, default 0
        The iteration shown before Play is pressed (the app shows the last,
        the converged result).
    slider : bool, default True
        Add Plotly's frame slider. Without it (the app, where a Streamlit
        control is the one iteration control) Play always replays from
        iteration 0.

    Returns
    -------
    go.Figure
        Two subplots; traces are, in order, the photo, the overlay, the
        inertia curve and the current-iteration marker. One frame per
        iteration, named ``"0"``, ``"1"``, ..., each updating only the
        overlay and the marker; one slider step per frame; a Play/Pause menu.

    Raises
    ------
    ValueError
        If there are no frames, ``inertias`` has a different length, or
        ``initial`` is not a frame.

    Examples
    --------
    >>> photo = np.zeros((4, 6, 3), dtype=np.uint8)
    >>> frames = [np.zeros((4, 6), dtype=np.uint8), np.eye(4, 6, dtype=np.uint8)]
    >>> figure = convergence_figure(photo, frames, [2.0, 1.0])
    >>> len(figure.frames), [step.label for step in figure.layout.sliders[0].steps]
    (2, ['0', '1'])
    """
    n_frames = len(label_frames)
    if n_frames == 0:
        raise ValueError("label_frames must hold at least one label image, got none")
    if len(inertias) != n_frames:
        raise ValueError(f"inertias must have one value per frame ({n_frames}), "
                         f"got {len(inertias)}")
    if not 0 <= initial < n_frames:
        raise ValueError(f"initial={initial} must be between 0 and {n_frames - 1}")
    photo, overlays = _fit_overlays(image, label_frames, alpha, max_side, colors)
    iterations = list(range(n_frames))
    inertias = [float(value) for value in inertias]

    figure = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.1,
                           subplot_titles=("Segments", "Inertia"))
    figure.add_trace(go.Image(source=jpeg_data_uri(photo), hoverinfo="skip", name="photo"),
                     row=1, col=1)
    figure.add_trace(go.Image(source=overlays[initial], hoverinfo="skip", name="segments"),
                     row=1, col=1)
    figure.add_trace(go.Scatter(x=iterations, y=inertias, mode="lines+markers", name="inertia",
                                line={"color": "#0072B2", "width": 3},
                                hovertemplate="iteration %{x}<br>inertia %{y:.4g}<extra></extra>"),
                     row=1, col=2)
    figure.add_trace(_marker(initial, inertias[initial]), row=1, col=2)

    # Each frame replaces only the overlay and the marker: the photo stays put.
    figure.frames = [
        go.Frame(name=str(i), traces=[OVERLAY_TRACE, MARKER_TRACE],
                 data=[go.Image(source=overlays[i]), _marker(i, inertias[i])])
        for i in iterations
    ]
    figure.update_layout(
        height=560 if slider else 470,
        margin={"l": 10, "r": 10, "t": 40, "b": 150 if slider else 60}, showlegend=False,
        updatemenus=[_play_pause_menu(frame_ms, from_current=slider)],
        sliders=[_iteration_slider(n_frames, initial)] if slider else [],
    )
    figure.update_xaxes(visible=False, row=1, col=1)
    figure.update_yaxes(visible=False, row=1, col=1)
    figure.update_xaxes(title_text="iteration", range=[-0.5, max(n_frames - 0.5, 1.5)],
                        row=1, col=2)
    figure.update_yaxes(title_text="inertia", type="log" if log_inertia else "linear",
                        range=_padded_range(inertias, log_inertia), row=1, col=2)
    return _accessible_text(figure)


@dataclass(frozen=True)
class Projection:
    """A 2-D view of the feature space: screen (x, y) = features @ matrix."""

    matrix: np.ndarray  # (d, 2) float64: column 0 gives x, column 1 gives y
    x_title: str  # axis titles, in the lesson's words
    y_title: str
    reason: str  # one sentence: why this view, for the caption under the figure


# What k-means sees as brightness, per colour space: the column, or for RGB the
# luma weights of :mod:`skimage.color.rgb2gray` (ITU-R BT.709).
_BRIGHTNESS = {"L": {"L": 1.0}, "gray": {"gray": 1.0}, "value": {"value": 1.0},
               "red": {"red": 0.2125, "green": 0.7154, "blue": 0.0721}}


def check_feature_states(features, names: Sequence[str], states) -> np.ndarray:
    """Check that ``features`` (n, d) match ``names`` and are what ``states`` label.

    Shared by the feature-space pictures (Plotly here, SVG in :mod:`ui.svg`).

    Raises
    ------
    ValueError
        If there is no state, the columns do not match the names, or the
        states label another number of rows.
    """
    features = np.asarray(features)
    if not states:
        raise ValueError("states must hold at least one k-means state, got none")
    if features.ndim != 2 or features.shape[1] != len(names):
        raise ValueError(f"features must be (n, {len(names)}) for the {len(names)} names, "
                         f"got shape {features.shape}")
    if states[0].labels.shape[0] != features.shape[0]:
        raise ValueError(f"states must label the {features.shape[0]} feature rows, "
                         f"got {states[0].labels.shape[0]} labels")
    return features


def feature_projection(names: Sequence[str]) -> Projection:
    """Choose the 2-D view of the feature space that shows the lesson best.

    The rule, first match wins (names as in :mod:`segmentation.features`):

    1. CIELAB: a* against b*, the chromatic plane; lightness is left out,
       so segments that differ by hue separate.
    2. Position on and a colour: the column against brightness (L, gray,
       value, or the BT.709 luma of red, green and blue), "colour against
       position", where the position weight shows as the width of the cloud.
    3. Position only: column against row, the image itself.
    4. RGB: red against green; HSV: the hue circle (hue_cos, hue_sin).
    5. Otherwise the first two columns, or one column against nothing (y = 0).

    Both axes keep the features' units, and :func:`feature_space_figure`
    draws them at the same scale, so a distance on screen is a distance
    k-means measures (along the two axes shown): with position weight 0.3 the
    cloud is a third as wide as it is tall.

    Parameters
    ----------
    names : sequence of str
        Feature column names, ``Segmentation.feature_names``.

    Returns
    -------
    Projection

    Raises
    ------
    ValueError
        If ``names`` is empty.

    Examples
    --------
    >>> feature_projection(("L", "a", "b", "row", "col")).x_title
    'a* (green - red)'
    >>> feature_projection(("red", "green", "blue", "row", "col")).matrix.T.round(4).tolist()
    [[0.0, 0.0, 0.0, 0.0, 1.0], [0.2125, 0.7154, 0.0721, 0.0, 0.0]]
    """
    names = tuple(names)
    if not names:
        raise ValueError("names must hold at least one feature name, got none")

    def axis(weights: dict[str, float]) -> np.ndarray:
        return np.array([weights.get(name, 0.0) for name in names])  # (d,)

    def view(x: dict[str, float], y: dict[str, float], x_title: str, y_title: str,
             reason: str) -> Projection:
        return Projection(np.stack([axis(x), axis(y)], axis=1), x_title, y_title, reason)

    brightness = next((key for key in _BRIGHTNESS if key in names), None)
    if "a" in names and "b" in names:
        return view({"a": 1.0}, {"b": 1.0}, "a* (green - red)", "b* (blue - yellow)",
                    "CIELAB's colour plane, without lightness: hues separate here.")
    if "col" in names and brightness is not None:
        return view({"col": 1.0}, _BRIGHTNESS[brightness], "column (position)", "brightness",
                    "Colour against position: the cloud is as wide as the position weight.")
    if "col" in names and "row" in names:
        return view({"col": 1.0}, {"row": 1.0}, "column", "row",
                    "Position only: this is the picture itself.")
    if "red" in names:
        return view({"red": 1.0}, {"green": 1.0}, "red", "green",
                    "Two of the three RGB axes: blue is left out.")
    if "hue_cos" in names:
        return view({"hue_cos": 1.0}, {"hue_sin": 1.0}, "hue (cos)", "hue (sin)",
                    "The hue circle: grey pixels sit in the middle.")
    if len(names) == 1:
        return view({names[0]: 1.0}, {}, names[0], "",
                    "A single feature: k-means cuts this line into intervals.")
    return view({names[0]: 1.0}, {names[1]: 1.0}, names[0], names[1],
                "The first two features.")


def feature_sample(n_pixels: int, n_samples: int = FEATURE_SAMPLE_SIZE,
                   seed: int = 0) -> np.ndarray:
    """Indices of the pixels drawn in feature space: fixed for an image size and seed.

    Drawn once without replacement and sorted, so every iteration, every
    rerun and every student sees the same pixels move.

    Examples
    --------
    >>> feature_sample(10, 4).tolist() == feature_sample(10, 4).tolist()
    True
    >>> feature_sample(3, 4).tolist()
    [0, 1, 2]
    """
    size = min(int(n_samples), int(n_pixels))
    return np.sort(np.random.default_rng(seed).choice(int(n_pixels), size=size, replace=False))


def feature_space_figure(
    features: np.ndarray,
    names: Sequence[str],
    states: Sequence[KMeansState],
    *,
    iteration: int | None = None,
    colors: np.ndarray | None = None,
    n_samples: int = FEATURE_SAMPLE_SIZE,
    seed: int = 0,
    after_update: bool = False,
    frames: bool = True,
    large_text: bool = False,
) -> go.Figure:
    """Pixels and centres in feature space, iteration by iteration.

    A fixed sample of pixels (:func:`feature_sample`) is drawn in the 2-D view
    of :func:`feature_projection`, each point in the colour of its segment at
    the iteration shown; the centres are large numbered dots, and a line
    through each centre's previous positions shows the path it took.

    Parameters
    ----------
    features : (n, d) ndarray
        The feature matrix k-means clustered (``extract_features(...).values``).
    names : sequence of d str
        Its column names.
    states : sequence of KMeansState
        The run, iteration 0 first (``Segmentation.states``).
    iteration : int, optional
        The iteration the figure shows before any frame is played; default
        the last.
    colors : (k, 3) ndarray of uint8, optional
        Segment colours; default ``segment_colors(k)``.
    n_samples : int, default FEATURE_SAMPLE_SIZE
        Pixels drawn (all of them if the image is smaller).
    seed : int, default 0
        Seed of the sample.
    after_update : bool, default False
        Show the half-step *update* of ``iteration`` (which must then be at
        least 1): the centres have moved to the means of their pixels, but
        the pixels keep the segments of iteration ``iteration - 1`` until
        the next *assign*.
    frames : bool, default True
        Add one animation frame per iteration. The app leaves them out: its
        iteration control draws each step as its own small figure.
    large_text : bool, default False
        Presentation mode: larger, black text.

    Returns
    -------
    go.Figure
        Traces :data:`POINTS_TRACE` (points, ``marker.color`` = segment
        index), :data:`PATHS_TRACE` (centre paths, one line per centre,
        separated by ``None``) and :data:`CENTERS_TRACE`; one frame per
        iteration, named ``"0"``, ``"1"``, ..., updating all three. Axis
        ranges are fixed over the whole run, so nothing rescales while
        playing.

    Raises
    ------
    ValueError
        If there are no states, ``names`` does not match the columns, or the
        states' labels do not match the rows.

    Examples
    --------
    >>> from segmentation import kmeans_iter
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [0.9, 1.0]])
    >>> states = list(kmeans_iter(X, 2, seed=0))
    >>> figure = feature_space_figure(X, ("red", "green"), states)
    >>> len(figure.data), len(figure.frames) == len(states), len(figure.data[0].x)
    (3, True, 4)
    """
    features = check_feature_states(features, names, states)
    last = len(states) - 1
    shown = last if iteration is None else int(iteration)
    if not 0 <= shown <= last:
        raise ValueError(f"iteration={iteration} must be between 0 and {last}")
    if after_update and shown == 0:
        raise ValueError("after_update needs iteration >= 1: iteration 0 has no update step")
    k = states[0].k
    colors = segment_colors(k) if colors is None else np.asarray(colors)
    projection = feature_projection(names)
    sample = feature_sample(features.shape[0], n_samples, seed)  # (m,) row indices
    points = features[sample].astype(np.float64) @ projection.matrix  # (m, 2)
    centers = np.stack([state.centers @ projection.matrix for state in states])  # (T, k, 2)

    def traces(i: int, with_points: bool, update_only: bool = False) -> list[go.Scatter]:
        # After the update half-step, the pixels still carry the previous assignment.
        labels = states[i - 1 if update_only else i].labels[sample]  # (m,)
        return [_feature_points(points if with_points else None, labels, colors),
                _center_paths(centers[:i + 1]), _centers(centers[i], colors)]

    figure = go.Figure(data=traces(shown, with_points=True, update_only=after_update))
    if frames:
        # Frames carry only what changes: the points' segments (not their positions), the
        # paths and the centres. Plotly merges each frame into the traces it names.
        figure.frames = [go.Frame(name=str(i), traces=[POINTS_TRACE, PATHS_TRACE, CENTERS_TRACE],
                                  data=traces(i, with_points=False)) for i in range(last + 1)]
    everything = np.concatenate([points, centers.reshape(-1, 2)])  # (m + T k, 2)
    figure.update_layout(height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         showlegend=False, plot_bgcolor="white", hovermode="closest")
    figure.update_xaxes(title_text=projection.x_title, range=_span(everything[:, 0]),
                        showgrid=True, gridcolor="#E6E6EA", zeroline=False)
    figure.update_yaxes(title_text=projection.y_title, range=_span(everything[:, 1]),
                        showgrid=True, gridcolor="#E6E6EA", zeroline=False,
                        visible=bool(projection.y_title),
                        # one unit is as long on both axes: screen distance = k-means distance
                        scaleanchor="x" if projection.y_title else None, scaleratio=1,
                        constrain="domain")
    figure.update_xaxes(constrain="domain")
    return _accessible_text(figure, large=large_text)


def inertia_figure(
    inertias: Sequence[float],
    iteration: int,
    *,
    after_update: bool = False,
    log: bool = False,
    large_text: bool = False,
    height: int = 260,
) -> go.Figure:
    """The inertia curve of a run with a marker on the step shown.

    Small (no pictures, no frames), so the app redraws it on every step.

    Parameters
    ----------
    inertias : sequence of float
        Inertia of every iteration, iteration 0 first.
    iteration : int
        The iteration shown, between 0 and ``len(inertias) - 1``.
    after_update : bool, default False
        The half-step between assign ``iteration - 1`` and assign
        ``iteration``: the inertia after an update is not recorded, so a
        dashed vertical line marks the step instead of a dot.
    log : bool, default False
        Logarithmic inertia axis: the small late decreases become visible.
    large_text : bool, default False
        Presentation mode: larger, black text.
    height : int, default 260
        Height in pixels.

    Returns
    -------
    go.Figure
        Traces: the curve, then :data:`MARKER_TRACE`-like marker of the step
        (always the last trace).

    Raises
    ------
    ValueError
        If ``inertias`` is empty or ``iteration`` is not one of its indices,
        or ``after_update`` is asked for iteration 0.

    Examples
    --------
    >>> figure = inertia_figure([9.0, 4.0, 3.5], 2)
    >>> figure.data[-1].x, figure.layout.yaxis.type
    ((2,), 'linear')
    """
    values = [float(value) for value in inertias]
    if not values:
        raise ValueError("inertias must hold at least one value, got none")
    if not 0 <= iteration < len(values):
        raise ValueError(f"iteration={iteration} must be between 0 and {len(values) - 1}")
    if after_update and iteration == 0:
        raise ValueError("after_update needs iteration >= 1: iteration 0 has no update step")
    iterations = list(range(len(values)))
    figure = go.Figure(go.Scatter(
        x=iterations, y=values, mode="lines+markers", name="inertia",
        line={"color": "#0072B2", "width": 3}, marker={"size": 7},
        hovertemplate="iteration %{x}<br>inertia %{y:.4g}<extra></extra>"))
    if after_update:
        # The update's inertia is not recorded: mark the half-step, claim no value.
        figure.add_vline(x=iteration - 0.5, line={"color": "#D55E00", "width": 3, "dash": "dash"})
        figure.add_trace(go.Scatter(x=[iteration - 0.5], y=[None], mode="markers",
                                    name="current step", hoverinfo="skip"))
    else:
        figure.add_trace(_marker(iteration, values[iteration]))
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         showlegend=False, plot_bgcolor="white")
    figure.update_xaxes(title_text="iteration", range=[-0.5, max(len(values) - 0.5, 1.5)],
                        showgrid=False, dtick=1 if len(values) <= 15 else None)
    figure.update_yaxes(title_text="inertia" + (" (log scale)" if log else ""),
                        type="log" if log else "linear", range=_padded_range(values, log),
                        showgrid=True, gridcolor="#E6E6EA")
    return _accessible_text(figure, large=large_text)


def _span(values: np.ndarray) -> list[float]:
    """Axis range of ``values`` with 6 % margin, so the big centre dots fit."""
    low, high = float(values.min()), float(values.max())
    pad = 0.06 * (high - low) if high > low else 0.5
    return [low - pad, high + pad]


def _feature_points(points: np.ndarray | None, labels: np.ndarray,
                    colors: np.ndarray) -> go.Scatter:
    """The sampled pixels, coloured through a stepwise colour scale indexed by segment.

    Sending segment numbers (not colour strings) keeps each frame small;
    ``points=None`` leaves the positions out (for frames: they never move).
    """
    k = len(colors)
    scale = []
    for j, color in enumerate(colors):  # constant colour on [j, j + 1] / k
        scale += [[j / k, _hex(color)], [(j + 1) / k, _hex(color)]]
    positions = {} if points is None else {"x": points[:, 0].round(5), "y": points[:, 1].round(5)}
    return go.Scatter(**positions, mode="markers", name="pixels",
                      marker={"color": labels.astype(int), "colorscale": scale,
                              "cmin": -0.5, "cmax": k - 0.5, "size": 4, "opacity": 0.55},
                      hovertemplate="segment %{marker.color}<extra>pixel</extra>")


def _center_paths(history: np.ndarray) -> go.Scatter:
    """One polyline per centre through its positions so far; ``history`` is (t, k, 2)."""
    x, y = [], []
    for j in range(history.shape[1]):
        x += history[:, j, 0].tolist() + [None]
        y += history[:, j, 1].tolist() + [None]
    return go.Scatter(x=x, y=y, mode="lines+markers", name="centre paths", hoverinfo="skip",
                      line={"color": TEXT_COLOR, "width": 2},
                      marker={"size": 5, "color": TEXT_COLOR})


def _centers(centers: np.ndarray, colors: np.ndarray) -> go.Scatter:
    """The k centres as large dots in their segment colour, numbered like the segments."""
    k = centers.shape[0]
    return go.Scatter(x=centers[:, 0], y=centers[:, 1], mode="markers+text", name="centres",
                      text=[str(j) for j in range(k)], textposition="top center",
                      textfont={"size": 14, "color": TEXT_COLOR},
                      marker={"size": 20, "color": [_hex(colors[j % len(colors)]) for j in range(k)],
                              "line": {"width": 2.5, "color": TEXT_COLOR}, "symbol": "circle"},
                      hovertemplate="centre of segment %{text}<extra></extra>")


def _hex(color) -> str:
    """``#rrggbb`` of an RGB triple."""
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in color))


def _accessible_text(figure: go.Figure, large: bool = False) -> go.Figure:
    """Set every text of the figure to TEXT_COLOR, in place; returns the figure.

    Streamlit's theme gives axes, titles, sliders and buttons their own
    template colours, which ``layout.font`` alone does not override.
    ``large`` (presentation mode): black and :data:`LARGE_FONT_SIZE` px.
    """
    font = ({"color": PRESENTATION_TEXT_COLOR, "size": LARGE_FONT_SIZE} if large
            else {"color": TEXT_COLOR})
    figure.update_layout(font=font)
    figure.update_xaxes(tickfont=font, title_font=font, linecolor=TEXT_COLOR,
                        tickcolor=TEXT_COLOR)
    figure.update_yaxes(tickfont=font, title_font=font, linecolor=TEXT_COLOR,
                        tickcolor=TEXT_COLOR)
    figure.update_annotations(font=font)  # subplot titles
    for slider in figure.layout.sliders:
        slider.font = font
        slider.currentvalue.font.color = font["color"]
    for menu in figure.layout.updatemenus:
        menu.font = font
    return figure


def _padded_range(values: list[float], log: bool) -> list[float]:
    """Axis range with 8 % headroom, so the big marker is never cut at the edges.

    Fixed rather than automatic: Plotly autoranges on the first frame only.
    On a log axis Plotly expects the range in powers of ten.
    """
    if log:
        values = [math.log10(max(value, 1e-300)) for value in values]
    low, high = min(values), max(values)
    pad = 0.08 * (high - low) if high > low else max(abs(high) * 0.08, 1.0)
    return [low - pad, high + pad]


def _fit_overlays(image, label_frames, alpha, max_side,
                  colors=None) -> tuple[np.ndarray, list[str]]:
    """The shrunk photo and one overlay data URI per frame, within OVERLAY_BYTES_BUDGET.

    Starts at ``max_side`` (or less for long runs, guessing 0.5 character per
    pixel) and shrinks again, by the square root of the overshoot, until the
    encoded overlays fit: PNG size grows with the area, i.e. with side².
    """
    if colors is None:  # fixed per run
        colors = segment_colors(max(int(frame.max()) for frame in label_frames) + 1)
    aspect = min(image.shape[:2]) / max(image.shape[:2])  # overlay area = aspect * side²
    guess = math.sqrt(OVERLAY_BYTES_BUDGET / (0.5 * len(label_frames) * aspect))
    side = max(_MIN_SIDE, min(max_side, max(image.shape[:2]), int(guess)))
    while True:
        photo = downscale_image(image, side)  # (h, w, 3) uint8
        overlays = [
            data_uri(encode_png(mask_rgba(resize_labels(frame, photo.shape[:2]), alpha, colors)))
            for frame in label_frames
        ]
        total = sum(len(uri) for uri in overlays)
        if total <= OVERLAY_BYTES_BUDGET or side == _MIN_SIDE:
            return photo, overlays
        side = max(_MIN_SIDE, int(side * math.sqrt(OVERLAY_BYTES_BUDGET / total) * 0.9))


def _marker(iteration: int, inertia: float) -> go.Scatter:
    """The big dot on the inertia curve at the current iteration."""
    return go.Scatter(x=[iteration], y=[inertia], mode="markers", name="current iteration",
                      cliponaxis=False,  # the big dot may overhang the axes at iteration 0
                      marker={"size": 16, "color": "#D55E00", "line": {"width": 2, "color": "black"}},
                      hovertemplate="iteration %{x}<br>inertia %{y:.4g}<extra></extra>")


def _frame_args(duration_ms: int) -> dict[str, object]:
    """Animation settings; ``redraw`` is needed because image traces are not tweened."""
    return {"frame": {"duration": duration_ms, "redraw": True}, "mode": "immediate",
            "transition": {"duration": 0}}


def _play_pause_menu(frame_ms: int, from_current: bool = True) -> dict[str, object]:
    """One Play and one Pause button, under the plots (above the slider, so both fit a phone).

    Without ``from_current`` Play replays every frame from iteration 0.
    """
    return {
        "type": "buttons", "direction": "left", "showactive": False,
        "x": 0.0, "y": -0.12 if from_current else -0.04, "xanchor": "left", "yanchor": "top",
        "pad": {"r": 10},
        "buttons": [
            {"label": "▶ Play", "method": "animate",
             "args": [None, {**_frame_args(frame_ms), "fromcurrent": from_current}]},
            {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], _frame_args(0)]},
        ],
    }


def _iteration_slider(n_frames: int, active: int = 0) -> dict[str, object]:
    """One step per frame; dragging it shows that iteration."""
    return {
        "active": active, "x": 0.0, "y": -0.2, "len": 1.0, "xanchor": "left", "yanchor": "top",
        "pad": {"t": 10},
        "currentvalue": {"prefix": "Iteration ", "xanchor": "right", "font": {"size": 16}},
        "steps": [{"label": str(i), "method": "animate", "args": [[str(i)], _frame_args(0)]}
                  for i in range(n_frames)],
    }
