"""Plotly figures of the *Other methods* page: the hierarchy's merges and the SLIC agreement grid.

Plain functions returning ``go.Figure``, built from the results of
:mod:`segmentation.methods`; nothing here imports Streamlit, so tests read
the figures' specs directly. Colours are the Okabe-Ito ones of
:mod:`ui.teaching_figures`, text the app's accessible colour.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from segmentation.methods import AgreementGrid, Hierarchy

from .teaching_figures import BLUE, ORANGE, _layout

__all__ = ["CUT_TRACE", "EQUIVALENT_TRACE", "MERGE_TRACE", "YOURS_TRACE",
           "agreement_figure", "merge_distance_figure"]

# Trace names the tests and the page look for.
MERGE_TRACE, CUT_TRACE = "merge distance", "your cut"
EQUIVALENT_TRACE, YOURS_TRACE = "equivalent weight", "your settings"


def merge_distance_figure(hierarchy: Hierarchy, n_regions: int, *,
                          large_text: bool = False) -> go.Figure:
    """The colour distance (ΔE) of each merge, against the number of regions it starts from.

    Read from left (every superpixel) to right (one region): the distances
    grow as ever more different regions must be joined; a jump is where the
    next merge joins two regions that really differ, a natural place to stop.
    The merge that would take ``n_regions`` to ``n_regions - 1`` is marked.

    Returns
    -------
    go.Figure
        A :data:`MERGE_TRACE` line and a :data:`CUT_TRACE` marker (empty at
        the coarsest level, which has no next merge).

    Examples
    --------
    >>> from segmentation.methods import merge_hierarchy
    >>> image = np.zeros((30, 30), dtype=np.uint8)
    >>> image[:, 15:] = 255
    >>> figure = merge_distance_figure(merge_hierarchy(image, n_superpixels=9), 2)
    >>> figure.data[1].name, figure.data[1].x
    ('your cut', (2,))
    """
    n_superpixels = hierarchy.n_superpixels
    before = n_superpixels - np.arange(len(hierarchy.merges))  # regions before merge i
    figure = go.Figure(go.Scatter(
        x=before, y=hierarchy.distances, mode="lines", name=MERGE_TRACE,
        line={"color": BLUE, "width": 2, "shape": "hv"},
        hovertemplate="%{x} → %{x}-1 regions: ΔE %{y:.1f}<extra></extra>"))
    step = n_superpixels - n_regions  # index of the next merge
    has_next = 0 <= step < len(hierarchy.distances)
    figure.add_trace(go.Scatter(
        x=[n_regions] if has_next else [], y=[hierarchy.distances[step]] if has_next else [],
        mode="markers", name=CUT_TRACE,
        marker={"size": 14, "color": ORANGE, "symbol": "diamond",
                "line": {"color": "white", "width": 1}},
        hovertemplate="your cut: %{x} regions; the next merge joins ΔE %{y:.1f}<extra></extra>"))
    ticks = [n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500) if n < n_superpixels]
    figure.update_xaxes(title_text="regions before the merge (fine → coarse)", type="log",
                        autorange="reversed", tickvals=[*ticks, n_superpixels])
    figure.update_yaxes(title_text="ΔE of the merged colours", rangemode="tozero")
    figure.update_layout(showlegend=False)
    return _layout(figure, 280, large_text)


def agreement_figure(grid: AgreementGrid, compactness: float | None = None,
                     weight: float | None = None, *, large_text: bool = False) -> go.Figure:
    """Adjusted Rand index of SLIC against k-means for every (compactness, weight) of a grid.

    Rows are SLIC's compactness values, columns our position weights, both
    drawn evenly spaced (the values are on the ticks). The equivalent weight
    of each compactness (:func:`segmentation.methods.equivalent_position_weight`)
    is marked on its row, placed between the columns by linear interpolation
    (and held at the edge, pointing outwards, when it lies beyond the grid);
    the student's settings are ringed.

    Returns
    -------
    go.Figure
        A ``go.Heatmap`` named ``"adjusted Rand index"``, an
        :data:`EQUIVALENT_TRACE` scatter and (with both ``compactness`` and
        ``weight``) a :data:`YOURS_TRACE` marker.

    Examples
    --------
    >>> grid = AgreementGrid(4, (1.0, 10.0), (0.0, 0.1, 1.0), np.eye(2, 3),
    ...                      (0.02, 0.55), (4, 4))
    >>> figure = agreement_figure(grid, 10.0, 0.1)
    >>> [round(float(x), 2) for x in figure.data[1].x], figure.data[2].x, figure.data[2].y
    ([0.2, 1.5], (1.0,), (1,))
    """
    weights = np.asarray(grid.position_weights, dtype=np.float64)
    columns = np.arange(weights.size)
    rows = np.arange(len(grid.compactness))
    ari = np.asarray(grid.adjusted_rand)
    figure = go.Figure(go.Heatmap(
        z=ari, x=columns, y=rows, zmin=0, zmax=1, colorscale="Cividis", name="adjusted Rand index",
        text=[[f"{value:.2f}" for value in row] for row in ari], texttemplate="%{text}",
        colorbar={"title": {"text": "ARI", "side": "top"}, "thickness": 12},
        customdata=np.array([[(m, w) for w in weights] for m in grid.compactness]),
        hovertemplate=("compactness %{customdata[0]:g}, weight %{customdata[1]:g}:"
                       "<br>ARI %{z:.3f}<extra></extra>")))
    equivalent = np.asarray(grid.equivalent_weights, dtype=np.float64)
    beyond = (equivalent > weights[-1]) | (equivalent < weights[0])
    figure.add_trace(go.Scatter(
        x=np.interp(equivalent, weights, columns), y=rows, mode="markers+lines",
        name=EQUIVALENT_TRACE, customdata=equivalent,
        line={"color": "white", "width": 1.5, "dash": "dot"},
        marker={"size": 8, "color": "white", "line": {"color": "black", "width": 1},
                "symbol": ["triangle-right" if out else "circle" for out in beyond]},
        hovertemplate="equivalent weight %{customdata:.3f}<extra></extra>"))
    if compactness is not None and weight is not None and compactness in grid.compactness:
        figure.add_trace(go.Scatter(
            x=[float(np.interp(weight, weights, columns))],
            y=[grid.compactness.index(compactness)], mode="markers", name=YOURS_TRACE,
            marker={"size": 26, "color": "rgba(0,0,0,0)", "symbol": "square",
                    "line": {"color": ORANGE, "width": 4}},
            hovertemplate=f"your settings: compactness {compactness:g}, weight {weight:g}"
                          "<extra></extra>"))
    figure.update_xaxes(title_text="k-means position weight w", tickvals=columns,
                        ticktext=[f"{w:g}" for w in weights])
    figure.update_yaxes(title_text="SLIC compactness m", tickvals=rows,
                        ticktext=[f"{m:g}" for m in grid.compactness], showgrid=False)
    figure.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return _layout(figure, 360, large_text)
