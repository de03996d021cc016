"""Choosing k: the inertia curve and its elbow, beside criteria that can rise again.

A thin page over :func:`segmentation.choosing_k.elbow_curve` (through
:func:`ui.cache.elbow`, keyed on the image digest and the features, so every
student of a class shares one curve per picture). k and the features are the
shared settings (sidebar); choosing one of the masks opens Explore with that
k. This page's own keys start with ``choosing_k_``.
"""

import pandas as pd
import streamlit as st

from segmentation.samples import get_sample
from ui import cache, controls
from ui.display import display_settings
from ui.figures import PLOTLY_CONFIG
from ui.state import current_image
from ui.teaching import (ProgressBar, lesson_intro, try_this,
                         working_size_note)

EXPLORE = "app_pages/explore.py"
_OPEN_KEY = "_choosing_k_open"  # set by a mask's button: open Explore on the next run
MASKS_PER_ROW = 6


def open_in_explore(k: int) -> None:
    """Button callback: make ``k`` the shared k and ask for Explore (switched to below)."""
    st.session_state["k"] = k
    st.session_state[_OPEN_KEY] = True


if st.session_state.pop(_OPEN_KEY, False):
    st.switch_page(EXPLORE)

image = current_image()
display = display_settings()
params = controls.segmentation_controls()  # shared k and features, in the sidebar

st.title("Choosing k")
lesson_intro("The inertia always falls when k grows, down to 0 when every pixel has its own "
             "segment, so \"lowest inertia\" would always choose the largest k. Look for the "
             "**elbow**, where one more segment stops buying much, and compare it with the "
             "silhouette and Calinski–Harabasz, which reward well-separated segments and can "
             "fall *and* rise.")

small = cache.teaching_image(image)
working_size_note(image, small.shape, "k-means runs 44 times here (k = 2 to 12, best of 3 "
                  "k-means++ starts and a warm start from the previous k's centres).")
bar = ProgressBar("Running k-means for k = 2 to 12...")
try:
    curve = cache.elbow(image, params, bar.update)
except cache.SETTINGS_ERRORS as err:
    st.warning(f"{err}\n\nChange the settings in the sidebar to continue.", icon="⚠️")
    st.stop()
finally:
    bar.done()
ks = list(curve.ks)
if len(ks) < 3 or not curve.inertias[0] > curve.inertias[-1]:
    st.warning(f"This picture has only {ks[-1]} different pixels (in these features): an elbow "
               "needs a curve over at least 3 values of k. Try another picture or add "
               "features.", icon="⚠️")
    st.stop()
suggestion = curve.suggestion()
best_sil = ks[int(pd.Series(curve.silhouettes).idxmax())]
best_ch = ks[int(pd.Series(curve.calinski_harabasz).idxmax())]

elbow_col, sil_col, ch_col, your_col = st.columns(4)
elbow_col.metric("Suggested elbow", f"k = {suggestion.k}",
                 help="The point of the inertia curve farthest below its chord (Kneedle).")
sil_col.metric("Best silhouette", f"k = {best_sil}",
               help=f"Mean silhouette of {curve.sample_rows.size:,} fixed random pixels.")
ch_col.metric("Best Calinski–Harabasz", f"k = {best_ch}",
              help="Between-segment spread over within-segment spread, on every pixel.")
your_col.metric("Your k", f"k = {params.k}", help="The shared k (sidebar).")

inertia_figure, criteria_figure = cache.elbow_figures(image, params, curve, display.present)
inertia_col, criteria_col = st.columns(2, gap="medium")
with inertia_col:
    st.plotly_chart(inertia_figure,
                    key="choosing_k_elbow_chart", config=PLOTLY_CONFIG,
                    alt=f"Line chart: inertia falls from {curve.inertias[0]:.4g} at k = 2 to "
                        f"{curve.inertias[-1]:.4g} at k = {ks[-1]}; the dashed chord joins the two "
                        f"ends; the suggested elbow, farthest below it, is k = {suggestion.k}.")
    st.caption("Inertia: best of the runs for each k. Its units depend on the features, so it "
               "only compares values of k on the same features.")
with criteria_col:
    st.plotly_chart(criteria_figure,
                    key="choosing_k_criteria_chart", config=PLOTLY_CONFIG,
                    alt=f"Line chart of the silhouette (best at k = {best_sil}) and the "
                        f"Calinski–Harabasz index (best at k = {best_ch}) against k.")
    st.caption(f"Silhouette on the same {curve.sample_rows.size:,} random pixels for every k "
               "(how much closer each pixel is to its own segment than to the next one); "
               "Calinski–Harabasz on all pixels. Higher is better for both.")

with st.expander("How the elbow is found (the numbers)"):
    st.markdown(
        f"1. Scale both axes to [0, 1]: *x* = (k − 2) / {ks[-1] - 2}, and *y* = 1 for the "
        f"inertia at k = 2, 0 for the inertia at k = {ks[-1]}.\n"
        "2. The **chord** joins the first and the last point: on it, *x* + *y* = 1.\n"
        "3. A point's distance below the chord is (1 − *x* − *y*) / √2. The elbow is the k where "
        f"it is largest: here **k = {suggestion.k}**, at distance "
        f"{suggestion.distances[suggestion.index]:.3f}.\n\n"
        "This is the offline *Kneedle* method (Satopää et al. 2011).")
    reasoning = pd.DataFrame({
        "k": ks, "inertia": curve.inertias, "x (scaled k)": suggestion.x,
        "y (scaled inertia)": suggestion.y, "distance below chord": suggestion.distances,
        "silhouette": curve.silhouettes, "Calinski–Harabasz": curve.calinski_harabasz})
    st.table(reasoning.style.format(
        {"inertia": "{:.4g}", "x (scaled k)": "{:.2f}", "y (scaled inertia)": "{:.3f}",
         "distance below chord": "{:.3f}", "silhouette": "{:.3f}",
         "Calinski–Harabasz": "{:.4g}"}).highlight_max(
        subset=["distance below chord"], color="#FFE0B2").hide(axis="index"))

st.subheader("The segments for each k")
st.caption("The best run of each k, at the working size. **Open** takes this k to Explore, "
           "on the full picture.")
for start in range(0, len(ks), MASKS_PER_ROW):
    columns = st.columns(MASKS_PER_ROW)
    for column, k, labels in zip(columns, ks[start:start + MASKS_PER_ROW],
                                 curve.labels[start:start + MASKS_PER_ROW]):
        marks = [word for word, hit in (("elbow", k == suggestion.k), ("yours", k == params.k))
                 if hit]
        with column:
            st.image(cache.labels_png(image, ("elbow", cache.feature_key(params), k), labels,
                                      display.palette),
                     caption=f"k = {k}" + (f" ({', '.join(marks)})" if marks else ""),
                     output_format="PNG", width="stretch",
                     alt=f"The picture in {k} flat segment colours.")
            st.button(f"Open k = {k}", key=f"choosing_k_open_{k}", on_click=open_in_explore,
                      args=(k,), type="primary" if k == suggestion.k else "secondary",
                      help=f"Set k = {k} and open Explore.")

try_this("Load the **synthetic cells** (three kinds of pixels: background and two kinds of "
         "cells) with Lab colour only. Does the elbow find 3? Which criterion does, and why "
         "might the elbow disagree?",
         {"sample": "cells", "k": 3, "color": "lab", "position": False},
         key="choosing_k_try_this", label=f"Try this on {get_sample('cells').title}")
