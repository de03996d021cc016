"""Plotly figures of the *Ground truth* page: the confusion between segments and true regions.

Plain functions returning ``go.Figure`` from the core's results
(:func:`segmentation.benchmark.confusion_by_match`); nothing here imports
Streamlit, so the tests read the figures' specs directly.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from segmentation.metrics import Confusion

from .figures import _accessible_text

__all__ = ["CONFUSION_TRACE", "confusion_figure"]

CONFUSION_TRACE = "share of the true region"  # the heat map's trace name
# White to the Okabe-Ito blue: 0 % is blank paper, 100 % the strongest ink.
_SCALE = [[0.0, "#FFFFFF"], [0.15, "#D6E6F2"], [1.0, "#0072B2"]]
_MAX_CELL_TEXT = 12  # write the percentage in the cells up to 12 x 12


def confusion_figure(confusion: Confusion, *, large_text: bool = False) -> go.Figure:
    """The confusion table as a heat map: each row is a true region, coloured by where it went.

    Each cell is the share (%) of the true region's pixels that the segment
    took, so every row sums to 100 %; hovering gives the pixel counts.
    Columns come in the order of :func:`~segmentation.benchmark.confusion_by_match`
    (the matched segment of row i in column i), so a good segmentation is a
    dark diagonal.

    Examples
    --------
    >>> from segmentation.benchmark import confusion_by_match
    >>> figure = confusion_figure(confusion_by_match(np.array([[3, 3, 1, 1]]),
    ...                                              np.array([[0, 0, 0, 1]])))
    >>> figure.data[0].x, figure.data[0].y
    (('3', '1'), ('0', '1'))
    >>> figure.data[0].z
    ([66.66666666666667, 33.333333333333336], [0.0, 100.0])
    """
    table = np.asarray(confusion.table, dtype=np.float64)  # (n_truth, n_predicted)
    shares = 100 * table / table.sum(axis=1, keepdims=True)  # rows sum to 100
    # Bare numbers (the axis titles say what they are): they fit under narrow columns.
    columns = [str(label) for label in confusion.predicted_labels]
    rows = [str(label) for label in confusion.truth_labels]
    small = max(table.shape) <= _MAX_CELL_TEXT
    figure = go.Figure(go.Heatmap(
        # Plain lists: small, and readable in the JSON spec (NumPy arrays go out base64).
        z=shares.tolist(), x=columns, y=rows, name=CONFUSION_TRACE, colorscale=_SCALE,
        zmin=0, zmax=100, customdata=confusion.table.tolist(), xgap=1, ygap=1,
        text=np.round(shares).astype(int).astype(str).tolist() if small else None,
        texttemplate="%{text}" if small else None,
        colorbar={"title": {"text": "% of region"}, "ticksuffix": " %", "thickness": 12},
        hovertemplate=("region %{y} → segment %{x}<br>%{customdata:,} px, %{z:.1f} % of the "
                       "region"
                       "<extra></extra>")))
    figure.update_xaxes(title_text="predicted segment (matched ones first)", type="category",
                        tickangle=-45 if len(columns) > 8 else 0, showgrid=False)
    figure.update_yaxes(title_text="true region", type="category", autorange="reversed",
                        showgrid=False)
    height = min(520, 160 + 26 * len(rows))
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         plot_bgcolor="white")
    return _accessible_text(figure, large=large_text)
