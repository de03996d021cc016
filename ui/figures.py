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

Nothing here imports Streamlit: tests build the figures directly.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from PIL import Image

from segmentation.io import encode_png
from segmentation.visualize import downscale_image, mask_rgba, resize_labels, segment_colors

__all__ = [
    "MARKER_TRACE",
    "MAX_FIGURE_BYTES",
    "OVERLAY_BYTES_BUDGET",
    "OVERLAY_TRACE",
    "convergence_figure",
    "data_uri",
    "figure_size_bytes",
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
        If there are no frames, or ``inertias`` has a different length.

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
    photo, overlays = _fit_overlays(image, label_frames, alpha, max_side)
    iterations = list(range(n_frames))
    inertias = [float(value) for value in inertias]

    figure = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.1,
                           subplot_titles=("Segments", "Inertia"))
    figure.add_trace(go.Image(source=jpeg_data_uri(photo), hoverinfo="skip", name="photo"),
                     row=1, col=1)
    figure.add_trace(go.Image(source=overlays[0], hoverinfo="skip", name="segments"),
                     row=1, col=1)
    figure.add_trace(go.Scatter(x=iterations, y=inertias, mode="lines+markers", name="inertia",
                                line={"color": "#0072B2", "width": 3},
                                hovertemplate="iteration %{x}<br>inertia %{y:.4g}<extra></extra>"),
                     row=1, col=2)
    figure.add_trace(_marker(0, inertias[0]), row=1, col=2)

    # Each frame replaces only the overlay and the marker: the photo stays put.
    figure.frames = [
        go.Frame(name=str(i), traces=[OVERLAY_TRACE, MARKER_TRACE],
                 data=[go.Image(source=overlays[i]), _marker(i, inertias[i])])
        for i in iterations
    ]
    figure.update_layout(
        height=560, margin={"l": 10, "r": 10, "t": 40, "b": 150}, showlegend=False,
        updatemenus=[_play_pause_menu(frame_ms)],
        sliders=[_iteration_slider(n_frames)],
    )
    figure.update_xaxes(visible=False, row=1, col=1)
    figure.update_yaxes(visible=False, row=1, col=1)
    figure.update_xaxes(title_text="iteration", range=[-0.5, max(n_frames - 0.5, 1.5)],
                        row=1, col=2)
    figure.update_yaxes(title_text="inertia", type="log" if log_inertia else "linear",
                        range=_padded_range(inertias, log_inertia), row=1, col=2)
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


def _fit_overlays(image, label_frames, alpha, max_side) -> tuple[np.ndarray, list[str]]:
    """The shrunk photo and one overlay data URI per frame, within OVERLAY_BYTES_BUDGET.

    Starts at ``max_side`` (or less for long runs, guessing 0.5 character per
    pixel) and shrinks again, by the square root of the overshoot, until the
    encoded overlays fit: PNG size grows with the area, i.e. with side².
    """
    colors = segment_colors(max(int(frame.max()) for frame in label_frames) + 1)  # fixed per run
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


def _play_pause_menu(frame_ms: int) -> dict[str, object]:
    """One Play and one Pause button, under the plots (above the slider, so both fit a phone)."""
    return {
        "type": "buttons", "direction": "left", "showactive": False,
        "x": 0.0, "y": -0.12, "xanchor": "left", "yanchor": "top", "pad": {"r": 10},
        "buttons": [
            {"label": "▶ Play", "method": "animate",
             "args": [None, {**_frame_args(frame_ms), "fromcurrent": True}]},
            {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], _frame_args(0)]},
        ],
    }


def _iteration_slider(n_frames: int) -> dict[str, object]:
    """One step per frame; dragging it shows that iteration."""
    return {
        "active": 0, "x": 0.0, "y": -0.2, "len": 1.0, "xanchor": "left", "yanchor": "top",
        "pad": {"t": 10},
        "currentvalue": {"prefix": "Iteration ", "xanchor": "right", "font": {"size": 16}},
        "steps": [{"label": str(i), "method": "animate", "args": [[str(i)], _frame_args(0)]}
                  for i in range(n_frames)],
    }
