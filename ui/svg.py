"""The first screen's charts as plain SVG: the inertia curve and the feature space.

Plain functions returning an SVG document (a ``str``), shown with
``st.image`` (so each has an ``alt`` text). They draw the same views as
:func:`ui.figures.inertia_figure` and :func:`ui.figures.feature_space_figure`
but need no JavaScript: Plotly's browser bundle is 4.7 MB, about half of what
a first visit downloads, and redrawing two Plotly charts on every step and
every change of k is the slowest part of a repaint. Plotly stays for the
in-browser animation, which is built only on demand.

Both charts use :data:`ui.figures.TEXT_COLOR` (or black, larger, in
presentation mode) for their text, which passes WCAG AA on white.
No Streamlit here: tests call these directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np

from segmentation import KMeansState
from segmentation.visualize import segment_colors

from .figures import (
    FEATURE_SAMPLE_SIZE,
    LARGE_FONT_SIZE,
    PRESENTATION_TEXT_COLOR,
    TEXT_COLOR,
    check_feature_states,
    feature_projection,
    feature_sample,
)

__all__ = ["feature_space_svg", "inertia_svg"]

_CURVE_COLOR = "#0072B2"  # Okabe-Ito blue, as the Plotly curve
_MARKER_COLOR = "#D55E00"  # Okabe-Ito vermillion: the step shown
_GRID_COLOR = "#E6E6EA"


def _text_style(large: bool) -> tuple[str, int]:
    """(colour, font size in px) of a chart's text."""
    return (PRESENTATION_TEXT_COLOR, LARGE_FONT_SIZE) if large else (TEXT_COLOR, 13)


def _svg(width: int, height: int, body: list[str], title: str, font_size: int) -> str:
    """Wrap ``body`` in an SVG document with a <title> (read by some screen readers)."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" font-family="sans-serif" '
            f'font-size="{font_size}"><title>{escape(title)}</title>'
            f'<rect width="{width}" height="{height}" fill="white"/>' + "".join(body) + "</svg>")


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About ``count`` round tick values in [low, high] (1, 2 or 5 times a power of ten)."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def inertia_svg(inertias: Sequence[float], iteration: int, *, after_update: bool = False,
                log: bool = False, zoom: bool = False, large_text: bool = False, width: int = 300,
                height: int = 220) -> str:
    """The inertia curve with the step shown marked, as an SVG document.

    Parameters
    ----------
    inertias : sequence of float
        Inertia of every iteration, iteration 0 first.
    iteration : int
        The iteration shown: a large dot on its point.
    after_update : bool, default False
        The update half-step before assign ``iteration``: its inertia is not
        recorded, so a dashed vertical line at ``iteration - 0.5`` marks it.
    log : bool, default False
        Logarithmic inertia axis (values must be positive; smaller ones are
        drawn at the axis' bottom).
    zoom : bool, default False
        Fit the inertia axis to iterations 1 onwards: the first, large drop
        leaves the top of the chart (clipped) and the small later decreases
        fill its height.
    large_text : bool, default False
        Presentation mode: larger, black text.
    width, height : int
        Size in pixels.

    Returns
    -------
    str
        An SVG document.

    Raises
    ------
    ValueError
        If ``inertias`` is empty, ``iteration`` is not one of its indices, or
        ``after_update`` is asked for iteration 0.

    Examples
    --------
    >>> svg = inertia_svg([9.0, 4.0, 3.5], 2)
    >>> svg.startswith("<svg") and 'data-step="2"' in svg
    True
    """
    values = np.asarray([float(value) for value in inertias])
    if values.size == 0:
        raise ValueError("inertias must hold at least one value, got none")
    if not 0 <= iteration < values.size:
        raise ValueError(f"iteration={iteration} must be between 0 and {values.size - 1}")
    if after_update and iteration == 0:
        raise ValueError("after_update needs iteration >= 1: iteration 0 has no update step")
    color, size = _text_style(large_text)
    left, right, top, bottom = 3 * size + 24, 10, 10, 2 * size + 16
    plot_w, plot_h = width - left - right, height - top - bottom

    shown = np.log10(np.maximum(values, 1e-300)) if log else values
    fitted = shown[1:] if zoom and values.size > 2 else shown
    low, high = float(fitted.min()), float(fitted.max())
    pad = 0.08 * (high - low) if high > low else max(abs(high) * 0.08, 1.0)
    low, high = low - pad, high + pad
    n = values.size

    def x_of(i: float) -> float:
        return left + (i + 0.5) / max(n, 2) * plot_w

    def y_of(v: float) -> float:
        return top + (high - v) / (high - low) * plot_h

    body = []
    for tick in _ticks(low, high):  # horizontal grid lines with the inertia's values
        y = y_of(tick)
        label = _short(10 ** tick if log else tick)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{_GRID_COLOR}"/><text x="{left - 6}" y="{y + size / 3:.1f}" '
                    f'text-anchor="end" fill="{color}">{label}</text>')
    every = max(1, math.ceil(n / 12))
    for i in range(0, n, every):  # iteration numbers under the axis
        body.append(f'<text x="{x_of(i):.1f}" y="{top + plot_h + size + 6}" '
                    f'text-anchor="middle" fill="{color}">{i}</text>')
    body.append(f'<path d="M{left} {top}V{top + plot_h}H{left + plot_w}" fill="none" '
                f'stroke="{color}"/>')
    body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                f'fill="{color}">iteration</text>')
    body.append(f'<text transform="translate({size + 2} {top + plot_h / 2:.1f}) rotate(-90)" '
                f'text-anchor="middle" fill="{color}">inertia{" (log)" if log else ""}</text>')
    # The curve is clipped to the plot (a zoomed axis cuts the first drop off).
    body.append(f'<clipPath id="plot"><rect x="{left}" y="{top - 9}" width="{plot_w + 9}" '
                f'height="{plot_h + 9}"/></clipPath><g clip-path="url(#plot)">')
    points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(shown))
    body.append(f'<polyline points="{points}" fill="none" stroke="{_CURVE_COLOR}" '
                'stroke-width="3"/>')
    body += [f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3.5" fill="{_CURVE_COLOR}"/>'
             for i, v in enumerate(shown)]
    if after_update:  # no recorded value: a dashed line between the two assigns
        x = x_of(iteration - 0.5)
        body.append(f'<line data-step="{iteration - 0.5:g}" x1="{x:.1f}" x2="{x:.1f}" '
                    f'y1="{top}" y2="{top + plot_h}" stroke="{_MARKER_COLOR}" stroke-width="3" '
                    'stroke-dasharray="6 4"/>')
    else:
        body.append(f'<circle data-step="{iteration}" cx="{x_of(iteration):.1f}" '
                    f'cy="{y_of(shown[iteration]):.1f}" r="8" fill="{_MARKER_COLOR}" '
                    'stroke="black" stroke-width="2"/>')
    body.append("</g>")
    title = (f"Inertia over {n - 1} iterations, from {values[0]:.4g} to {values[-1]:.4g}"
             + (" (log scale)" if log else "") + (" (zoomed on iterations 1 on)" if zoom else ""))
    return _svg(width, height, body, title, size)


def feature_space_svg(features: np.ndarray, names: Sequence[str], states: Sequence[KMeansState],
                      iteration: int, *, after_update: bool = False,
                      colors: np.ndarray | None = None, n_samples: int = FEATURE_SAMPLE_SIZE,
                      seed: int = 0, large_text: bool = False, width: int = 520,
                      height: int = 380) -> str:
    """Pixels and centres in feature space at one (half-)step, as an SVG document.

    The view of :func:`ui.figures.feature_projection`, at the same scale on
    both axes (a distance on screen is a distance k-means measures, along
    the axes shown); the fixed pixel sample of :func:`ui.figures.feature_sample`
    coloured by segment, the centres as large numbered dots and the paths
    they took since iteration 0. After an *update* the centres have moved
    but the pixels keep the previous assign's colours.

    Parameters
    ----------
    features : (n, d) ndarray
        The feature matrix k-means clustered.
    names : sequence of d str
        Its column names.
    states : sequence of KMeansState
        The run, iteration 0 first.
    iteration : int
        The iteration shown.
    after_update : bool, default False
        Show the update half-step of ``iteration`` (at least 1).
    colors : (k, 3) ndarray of uint8, optional
        Segment colours; default ``segment_colors(k)``.
    n_samples, seed : int
        Pixels drawn and the seed of their sample.
    large_text : bool, default False
        Presentation mode: larger, black text.
    width, height : int
        Size in pixels.

    Returns
    -------
    str
        An SVG document; the centres carry ``data-centre="j"``.

    Raises
    ------
    ValueError
        If there are no states, the shapes do not match, ``iteration`` is
        outside the run, or ``after_update`` is asked for iteration 0.

    Examples
    --------
    >>> from segmentation import kmeans_iter
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [0.9, 1.0]])
    >>> states = list(kmeans_iter(X, 2, seed=0))
    >>> svg = feature_space_svg(X, ("red", "green"), states, len(states) - 1)
    >>> svg.count('data-centre='), svg.count('<circle') - 2
    (2, 4)
    """
    features = check_feature_states(features, names, states)
    if not 0 <= iteration < len(states):
        raise ValueError(f"iteration={iteration} must be between 0 and {len(states) - 1}")
    if after_update and iteration == 0:
        raise ValueError("after_update needs iteration >= 1: iteration 0 has no update step")
    k = states[0].k
    colors = segment_colors(k) if colors is None else np.asarray(colors)
    color, size = _text_style(large_text)
    projection = feature_projection(names)
    sample = feature_sample(features.shape[0], n_samples, seed)  # (m,) row indices
    points = features[sample].astype(np.float64) @ projection.matrix  # (m, 2)
    centers = np.stack([state.centers @ projection.matrix
                        for state in states[:iteration + 1]])  # (t, k, 2)
    labels = states[iteration - 1 if after_update else iteration].labels[sample]  # (m,)

    # One scale for both axes, fitted to everything drawn over the whole run.
    everything = np.concatenate([points] + [state.centers @ projection.matrix
                                            for state in states])  # (m + T k, 2)
    left, right, top, bottom = 2 * size + 8, 12, 12, 2 * size + 10
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = everything.min(axis=0), everything.max(axis=0)  # (2,)
    spans = np.maximum(high - low, 1e-12) * 1.12
    scale = min(plot_w / spans[0], plot_h / spans[1])
    middle = (low + high) / 2

    def screen(xy: np.ndarray) -> np.ndarray:  # (..., 2) feature units -> pixels
        x = left + plot_w / 2 + (xy[..., 0] - middle[0]) * scale
        y = top + plot_h / 2 - (xy[..., 1] - middle[1]) * scale
        return np.stack([x, y], axis=-1)

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
            f'stroke="{_GRID_COLOR}"/>']
    # Dots in tenths of a pixel, drawn in a group scaled by 0.1: the same picture, and
    # Python formats 3,000 integer pairs 2.5x faster than floats with one decimal.
    dots = np.rint(screen(points) * 10).astype(np.int64)  # (m, 2)
    for j in range(k):  # one group per segment: the colour is written once
        members = dots[labels == j]
        if len(members):
            body.append(f'<g fill="{_hex(colors[j % len(colors)])}" fill-opacity="0.55" '
                        'transform="scale(0.1)">'
                        # tolist(): Python ints format several times faster than NumPy's
                        + "".join(f'<circle cx="{x}" cy="{y}" r="22"/>'
                                  for x, y in members.tolist()) + "</g>")
    paths = screen(centers)  # (t, k, 2)
    for j in range(k):
        trail = " ".join(f"{x:.1f},{y:.1f}" for x, y in paths[:, j])
        body.append(f'<polyline points="{trail}" fill="none" stroke="{color}" '
                    'stroke-width="2"/>')
    for j, (x, y) in enumerate(paths[-1]):
        body.append(f'<circle data-centre="{j}" cx="{x:.1f}" cy="{y:.1f}" r="10" '
                    f'fill="{_hex(colors[j % len(colors)])}" stroke="{color}" stroke-width="2.5"/>'
                    f'<text x="{x:.1f}" y="{y - 14:.1f}" text-anchor="middle" fill="{color}" '
                    f'font-weight="bold">{j}</text>')
    body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                f'fill="{color}">{escape(projection.x_title)}</text>')
    if projection.y_title:
        body.append(f'<text transform="translate({size + 2} {top + plot_h / 2:.1f}) '
                    f'rotate(-90)" text-anchor="middle" fill="{color}">'
                    f'{escape(projection.y_title)}</text>')
    title = (f"{len(sample)} pixels and {k} centres in feature space: "
             f"{projection.x_title} against {projection.y_title or 'nothing'}")
    return _svg(width, height, body, title, size)


def _short(value: float) -> str:
    """A tick label of at most ~5 characters: ``12k``, ``1.5M``, ``0.25``.

    Examples
    --------
    >>> _short(12000.0), _short(1500000.0), _short(0.25)
    ('12k', '1.5M', '0.25')
    """
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"


def _hex(color) -> str:
    """``#rrggbb`` of an RGB triple."""
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in color))
