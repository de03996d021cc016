"""Plotly figures of the teaching pages (choosing k, side by side, what the start does).

Plain functions returning ``go.Figure``, built from the core's results
(:mod:`segmentation.choosing_k`, :mod:`segmentation.stability`); nothing here
imports Streamlit, so the tests read the figures' specs directly. Pictures go
in as small PNG data URIs (never as heat-map numbers: 25,600 floats would be
half a megabyte of JSON), and every figure uses the app's accessible text
colour (:data:`ui.figures.TEXT_COLOR`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from segmentation.choosing_k import ElbowSuggestion
from segmentation.io import encode_png
from segmentation.stability import StartComparison

from .figures import _accessible_text, data_uri, feature_projection, feature_sample

__all__ = [
    "BAND",
    "CHOICE_TRACE",
    "ELBOW_TRACE",
    "GRID_TRACE",
    "INIT_COLORS",
    "PICKS_TRACE",
    "criteria_figure",
    "elbow_figure",
    "heat_png",
    "pick_canvas_figure",
    "picks_figure",
    "picks_space_figure",
    "starts_figure",
    "sweep_figure",
]

BLUE, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#6B6B76"  # Okabe-Ito, CVD-safe
INIT_COLORS = {"k-means++": BLUE, "random": ORANGE}
# The lesson's recommended position weights: coherent segments, colours still count.
BAND = (0.1, 0.5)
# Trace names the tests and the pages look for.
ELBOW_TRACE, CHOICE_TRACE, PICKS_TRACE = "suggested elbow", "your k", "picked pixels"
SPACE_TRACE = "pixels"  # the sampled pixels of picks_space_figure
GRID_TRACE = 1  # index of the clickable grid in pick_canvas_figure


def _layout(figure: go.Figure, height: int, large: bool) -> go.Figure:
    # Legend above the plot: below it, it would collide with the x-axis title.
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 70, "b": 10},
                         plot_bgcolor="white",
                         legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    figure.update_xaxes(showgrid=False)
    figure.update_yaxes(showgrid=True, gridcolor="#E6E6EA")
    return _accessible_text(figure, large=large)


def elbow_figure(suggestion: ElbowSuggestion, inertias: Sequence[float],
                 current_k: int | None = None, *, large_text: bool = False) -> go.Figure:
    """Inertia against k, the chord from the first to the last point, and the elbow.

    The elbow is the point farthest below the chord (in scaled units, see
    :func:`segmentation.choosing_k.suggest_elbow`); a dotted line shows its
    gap to the chord.

    Parameters
    ----------
    suggestion : ElbowSuggestion
        The elbow and its reasoning numbers.
    inertias : sequence of float
        Inertia for each k of ``suggestion.ks``.
    current_k : int, optional
        The k the student has chosen, ringed if it is on the curve.
    large_text : bool, default False
        Presentation mode.

    Returns
    -------
    go.Figure
        Traces named ``"inertia"``, ``"chord"``, ``"gap to the chord"``,
        :data:`ELBOW_TRACE` and (with ``current_k``) :data:`CHOICE_TRACE`.

    Raises
    ------
    ValueError
        If ``inertias`` has not one value per k.

    Examples
    --------
    >>> from segmentation.choosing_k import suggest_elbow
    >>> s = suggest_elbow([1, 2, 3, 4, 5], [100.0, 40.0, 10.0, 8.0, 6.0])
    >>> figure = elbow_figure(s, [100.0, 40.0, 10.0, 8.0, 6.0])
    >>> [trace.name for trace in figure.data][-1], figure.data[-1].x
    ('suggested elbow', (3,))
    """
    ks = list(suggestion.ks)
    values = [float(value) for value in inertias]
    if len(values) != len(ks):
        raise ValueError(f"inertias must have one value per k ({len(ks)}), got {len(values)}")
    (k0, y0), (k1, y1) = suggestion.chord
    k, inertia = suggestion.k, values[suggestion.index]
    on_chord = y0 + (y1 - y0) * (k - k0) / (k1 - k0)  # the chord's inertia at the elbow's k
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=ks, y=values, mode="lines+markers", name="inertia",
                                line={"color": BLUE, "width": 3},
                                hovertemplate="k = %{x}<br>inertia %{y:.4g}<extra></extra>"))
    figure.add_trace(go.Scatter(x=[k0, k1], y=[y0, y1], mode="lines", name="chord",
                                line={"color": GREY, "dash": "dash"}, hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=[k, k], y=[on_chord, inertia], mode="lines",
                                name="gap to the chord", line={"color": ORANGE, "dash": "dot"},
                                hoverinfo="skip"))
    if current_k in ks:
        figure.add_trace(go.Scatter(
            x=[current_k], y=[values[ks.index(current_k)]], mode="markers", name=CHOICE_TRACE,
            marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"color": GREEN, "width": 3}},
            hovertemplate="your k = %{x}<extra></extra>"))
    figure.add_trace(go.Scatter(x=[k], y=[inertia], mode="markers+text", name=ELBOW_TRACE,
                                text=[f"elbow k = {k}"], textposition="top right",
                                marker={"size": 14, "color": ORANGE, "symbol": "star"},
                                hovertemplate="suggested elbow: k = %{x}<extra></extra>"))
    figure.update_xaxes(title_text="number of segments k", dtick=1)
    figure.update_yaxes(title_text="inertia (always falls)")
    return _layout(figure, 330, large_text)


def criteria_figure(ks: Sequence[int], silhouettes: Sequence[float],
                    calinski_harabasz: Sequence[float], current_k: int | None = None,
                    *, large_text: bool = False) -> go.Figure:
    """Silhouette (left axis) and Calinski–Harabasz (right axis) against k, best of each marked.

    Both can rise again with k, unlike the inertia. NaN values (undefined)
    are left as gaps.

    Returns
    -------
    go.Figure
        Traces ``"silhouette"``, ``"Calinski–Harabasz"``, ``"best silhouette"``,
        ``"best Calinski–Harabasz"`` and a dotted vertical line at ``current_k``.

    Raises
    ------
    ValueError
        If the three sequences differ in length.

    Examples
    --------
    >>> figure = criteria_figure([2, 3, 4], [0.5, 0.7, 0.6], [10.0, 30.0, 20.0])
    >>> figure.data[2].x, figure.data[3].x
    ((3,), (3,))
    """
    ks = list(ks)
    sil = np.asarray(silhouettes, dtype=np.float64)
    ch = np.asarray(calinski_harabasz, dtype=np.float64)
    if not len(ks) == sil.size == ch.size:
        raise ValueError(f"ks, silhouettes and calinski_harabasz must have the same length, "
                         f"got {len(ks)}, {sil.size} and {ch.size}")
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Scatter(x=ks, y=sil, mode="lines+markers", name="silhouette",
                                line={"color": GREEN, "width": 3},
                                hovertemplate="k = %{x}<br>silhouette %{y:.3f}<extra></extra>"),
                     secondary_y=False)
    figure.add_trace(go.Scatter(x=ks, y=ch, mode="lines+markers", name="Calinski–Harabasz",
                                line={"color": "#CC79A7", "width": 3, "dash": "dash"},
                                marker={"symbol": "square"},
                                hovertemplate="k = %{x}<br>CH %{y:.4g}<extra></extra>"),
                     secondary_y=True)
    for values, name, color, right in ((sil, "best silhouette", GREEN, False),
                                       (ch, "best Calinski–Harabasz", "#CC79A7", True)):
        best = int(np.nanargmax(values)) if np.isfinite(values).any() else None
        figure.add_trace(go.Scatter(x=[ks[best]] if best is not None else [],
                                    y=[values[best]] if best is not None else [],
                                    mode="markers", name=name,
                                    marker={"size": 15, "color": color, "symbol": "star"},
                                    hovertemplate=name + ": k = %{x}<extra></extra>"),
                         secondary_y=right)
    if current_k in ks:
        figure.add_vline(x=current_k, line={"color": GREY, "dash": "dot"})
    figure.update_xaxes(title_text="number of segments k", dtick=1,
                        range=[ks[0] - 0.5, ks[-1] + 0.5] if ks else None)
    figure.update_yaxes(title_text="silhouette (higher is better)", secondary_y=False)
    figure.update_yaxes(title_text="Calinski–Harabasz", secondary_y=True, showgrid=False)
    return _layout(figure, 330, large_text)


def sweep_figure(weights: Sequence[float], region_counts: Sequence[int], *,
                 band: tuple[float, float] = BAND, large_text: bool = False) -> go.Figure:
    """Number of connected regions against the position weight, the recommended band shaded.

    Examples
    --------
    >>> figure = sweep_figure([0, 0.5, 1], [900, 40, 12])
    >>> shape = figure.layout.shapes[0]
    >>> (shape.x0, shape.x1), figure.layout.yaxis.rangemode
    ((0.1, 0.5), 'tozero')
    """
    figure = go.Figure(go.Scatter(
        x=list(weights), y=list(region_counts), mode="lines+markers", name="connected regions",
        line={"color": BLUE, "width": 3},
        hovertemplate="position weight %{x}<br>%{y} regions<extra></extra>"))
    figure.add_vrect(x0=band[0], x1=band[1], fillcolor=GREEN, opacity=0.15, line_width=0,
                     annotation_text="recommended", annotation_position="top left")
    figure.update_xaxes(title_text="position weight")
    figure.update_yaxes(title_text="connected regions", rangemode="tozero")
    return _layout(figure, 300, large_text)


def starts_figure(comparison: StartComparison, *, large_text: bool = False) -> go.Figure:
    """Final inertia and iterations of every run, one box with its points per initialisation.

    Returns
    -------
    go.Figure
        Two subplots; one ``go.Box`` per (initialisation, quantity), named
        after the initialisation, every run drawn as a point.

    Examples
    --------
    >>> from segmentation.stability import compare_starts
    >>> runs = compare_starts([[0.0], [0.2], [5.0], [5.2], [9.0], [9.2]], 3, n_seeds=4)
    >>> figure = starts_figure(runs)
    >>> [trace.name for trace in figure.data], len(figure.data[0].y)
    (['k-means++', 'random', 'k-means++', 'random'], 4)
    """
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.15,
                           subplot_titles=("Final inertia (lower is better)",
                                           "Iterations to converge"))
    for column, attribute in ((1, "inertia"), (2, "n_iter")):
        for init in comparison.inits:
            runs = comparison.runs_of(init)
            figure.add_trace(go.Box(
                y=[getattr(run, attribute) for run in runs], name=init, boxpoints="all",
                jitter=0.4, pointpos=0, marker={"color": INIT_COLORS.get(init, GREY), "size": 7},
                line={"color": INIT_COLORS.get(init, GREY)}, showlegend=False,
                customdata=[run.seed for run in runs],
                hovertemplate=(f"{init}, seed %{{customdata}}<br>{attribute} %{{y:.5g}}"
                               "<extra></extra>")),
                row=1, col=column)
    return _layout(figure, 320, large_text)


# A dark-to-bright heat ramp (black, purple, orange, pale yellow), readable in grey too.
_HEAT_STOPS = np.array([[0, 0, 4], [120, 28, 109], [237, 105, 37], [252, 255, 164]], dtype=float)


def heat_png(values: np.ndarray) -> bytes:
    """A non-negative (H, W) array as a PNG heat map, colour = sqrt(value / max).

    The square root keeps the smaller probabilities visible; 0 is black.

    Examples
    --------
    >>> heat_png(np.zeros((2, 2)))[:4]
    b'\\x89PNG'
    """
    values = np.asarray(values, dtype=np.float64)
    top = values.max()
    scaled = np.sqrt(values / top) if top > 0 else np.zeros_like(values)  # (H, W) in [0, 1]
    position = scaled * (len(_HEAT_STOPS) - 1)
    low = np.minimum(position.astype(int), len(_HEAT_STOPS) - 2)
    t = (position - low)[..., None]
    rgb = _HEAT_STOPS[low] * (1 - t) + _HEAT_STOPS[low + 1] * t  # (H, W, 3)
    return encode_png(np.round(rgb).astype(np.uint8))


def _pixel_markers(pixels: Sequence[tuple[int, int]], name: str,
                   color: str = "white") -> go.Scatter:
    """Numbered markers at (row, col) pixels, for pictures drawn with image coordinates."""
    return go.Scatter(
        x=[col for _, col in pixels], y=[row for row, _ in pixels], mode="markers+text",
        name=name, text=[str(i + 1) for i in range(len(pixels))], textposition="middle center",
        textfont={"color": "black", "size": 11},
        marker={"size": 18, "color": color, "line": {"color": "black", "width": 2}},
        hovertemplate="pick %{text}: row %{y}, column %{x}<extra></extra>")


def picks_figure(photo_png: bytes, heat: bytes, picks: Sequence[tuple[int, int]],
                 *, large_text: bool = False) -> go.Figure:
    """The k-means++ picks so far on the photo, and the D² probability of the next pick.

    Parameters
    ----------
    photo_png : bytes
        The (teaching-size) photo as PNG.
    heat : bytes
        :func:`heat_png` of the next pick's probabilities, same size.
    picks : sequence of (row, col)
        The pixels picked so far, in order (numbered from 1).

    Returns
    -------
    go.Figure
        Two image subplots, each with a :data:`PICKS_TRACE` scatter.

    Examples
    --------
    >>> png = heat_png(np.ones((4, 4)))
    >>> figure = picks_figure(png, png, [(1, 2)])
    >>> figure.data[1].name, figure.data[1].x, figure.data[1].y
    ('picked pixels', (2,), (1,))
    """
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.04,
                           subplot_titles=("Picks so far, in order",
                                           "Probability of the next pick (bright = likely)"))
    for column, source in ((1, photo_png), (2, heat)):
        figure.add_trace(go.Image(source=data_uri(source), hoverinfo="skip"), row=1, col=column)
        figure.add_trace(_pixel_markers(picks, PICKS_TRACE), row=1, col=column)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x")
    figure.update_yaxes(scaleanchor="x2", row=1, col=2)
    figure.update_layout(showlegend=False)
    return _layout(figure, 380, large_text)


def picks_space_figure(features: np.ndarray, names: Sequence[str], rows: Sequence[int],
                       probabilities: np.ndarray, pick: int, *,
                       large_text: bool = False) -> go.Figure:
    """The k-means++ picks in feature space, over pixels coloured by P(next pick).

    The view no photo shows: pick ``pick`` is drawn far, *in feature space*,
    from the picks before it. The pixels are a fixed sample
    (:func:`ui.figures.feature_sample`) in the 2-D projection the Explore page
    uses (:func:`ui.figures.feature_projection`), at equal scale on both axes.

    Parameters
    ----------
    features : (n, d) ndarray
        The feature rows the picks were drawn from.
    names : sequence of str
        The feature names (columns of ``features``).
    rows : sequence of int
        The picked rows, in order.
    probabilities : (k, n) ndarray
        Row j: the probability of every row of being pick j + 1.
    pick : int
        The pick shown (1-based): the pixels are coloured by its distribution,
        and picks 1..pick are numbered.

    Returns
    -------
    go.Figure
        A :data:`SPACE_TRACE` scatter and a :data:`PICKS_TRACE` scatter.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> p = np.array([[1 / 3] * 3, [0.0, 0.5, 0.5]])
    >>> figure = picks_space_figure(X, ("red", "green"), [0, 2], p, 2)
    >>> figure.data[1].text
    ('1', '2')
    """
    projection = feature_projection(names)
    sample = feature_sample(len(features))
    xy = features[sample] @ projection.matrix  # (m, 2)
    chance = probabilities[pick - 1][sample]
    picked = np.asarray(rows[:pick])
    picked_xy = features[picked] @ projection.matrix
    figure = go.Figure([
        go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name=SPACE_TRACE,
                     marker=dict(size=4, color=chance, colorscale="Cividis",
                                 colorbar=dict(title=f"P(pick {pick})")),
                     hoverinfo="skip"),
        go.Scatter(x=picked_xy[:, 0], y=picked_xy[:, 1], mode="markers+text", name=PICKS_TRACE,
                   text=[str(i + 1) for i in range(len(picked))], textposition="top center",
                   textfont=dict(size=16, color=ORANGE),
                   marker=dict(size=18, symbol="x", color=ORANGE,
                               line=dict(width=2, color="white"))),
    ])
    figure.update_xaxes(title=projection.x_title)
    figure.update_yaxes(title=projection.y_title, scaleanchor="x")
    figure.update_layout(showlegend=False)
    return _layout(figure, 380, large_text)


def pick_canvas_figure(photo_png: bytes, shape: tuple[int, int],
                       picked: Sequence[tuple[int, int]], *, grid_step: int = 4,
                       large_text: bool = False) -> go.Figure:
    """The photo as a canvas to click starting centres on.

    Plotly selects points of scatter traces, not pixels of an image, so a
    grid of nearly invisible points (one every ``grid_step`` pixels) lies over
    the photo: a click selects the nearest one, whose (row, col) the page
    reads from the selection. Trace 1 is that grid; the pixels picked so far
    are drawn numbered on top (:data:`PICKS_TRACE`).

    Examples
    --------
    >>> figure = pick_canvas_figure(heat_png(np.ones((8, 8))), (8, 8), [(4, 4)], grid_step=4)
    >>> figure.data[1].name, len(figure.data[1].x), figure.data[2].name
    ('click a pixel', 4, 'picked pixels')
    """
    height, width = shape
    rows, cols = np.mgrid[grid_step // 2:height:grid_step, grid_step // 2:width:grid_step]
    figure = go.Figure(go.Image(source=data_uri(photo_png), hoverinfo="skip"))
    figure.add_trace(go.Scatter(
        x=cols.ravel().tolist(), y=rows.ravel().tolist(), mode="markers", name="click a pixel",
        marker={"size": grid_step * 2, "color": "rgba(255,255,255,0.01)"},
        selected={"marker": {"opacity": 1, "color": "rgba(255,255,255,0.01)"}},
        unselected={"marker": {"opacity": 1}},
        hovertemplate="row %{y}, column %{x}: click to pick<extra></extra>"))
    figure.add_trace(_pixel_markers(picked, PICKS_TRACE, color=ORANGE))
    figure.update_xaxes(visible=False, range=[-0.5, width - 0.5])
    figure.update_yaxes(visible=False, range=[height - 0.5, -0.5], scaleanchor="x")
    figure.update_layout(showlegend=False, clickmode="event+select", dragmode=False)
    return _layout(figure, 420, large_text)
