"""What the start does: k-means++ against random starts, stability, the picks, your own starts.

A thin page over :mod:`segmentation.stability` (``compare_starts``,
``stability_to_perturbations``, ``kmeanspp_steps``) through :mod:`ui.cache`,
at the teaching size, cached on digest + parameters. k and the features are
the shared settings (sidebar); this page's own keys start with ``starts_``.
"""

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from segmentation.samples import get_sample
from ui import cache, controls
from ui.display import display_settings
from ui.figures import PLOTLY_CONFIG
from ui.state import current_image
from ui.teaching import (ProgressBar, add_clicked_pixels, apply_settings,
                         lesson_intro, try_this, working_size_note)
from ui.teaching_figures import GRID_TRACE

PICKS_KEY = "_starts_picks"  # (image digest, [(row, col), ...]): the pixels clicked, in order
CANVAS_KEY = "starts_pick_canvas"
RAN_KEY = "_starts_ran_picks"  # (image digest, picks) of the last "Run from my picks"
MAX_PICKS = 12
GOOD_TOLERANCE = 0.01  # a run is "good" within 1 % of the best inertia found
STUCK = {"sample": "stuck", "k": 8, "color": "rgb", "position": False, "texture": False,
         "center": False}


def current_picks(digest: str) -> list[tuple[int, int]]:
    """The pixels picked on the image of ``digest`` (none after a change of image)."""
    picked_on, picks = st.session_state.get(PICKS_KEY, ("", []))
    return list(picks) if picked_on == digest else []


def add_pick(digest: str) -> None:
    """on_select callback of the canvas: append the clicked grid point to the picks."""
    points = st.session_state[CANVAS_KEY].selection.points
    picks = add_clicked_pixels(current_picks(digest), points, curve_number=GRID_TRACE,
                               max_picks=MAX_PICKS)
    st.session_state[PICKS_KEY] = (digest, picks)


def clear_picks() -> None:
    """Button callback: forget the picks."""
    st.session_state[PICKS_KEY] = ("", [])


def run_picks(digest: str) -> None:
    """Button callback: run k-means from the current picks (shown until they change)."""
    st.session_state[RAN_KEY] = (digest, tuple(current_picks(digest)))


image = current_image()
display = display_settings()
params = controls.segmentation_controls()  # shared k and features, in the sidebar

st.title("What the start does")
lesson_intro("k-means only walks downhill from where it starts, so different starts can end in "
             "different segmentations, some clearly worse. Compare how spread out the final "
             "inertia is with k-means++ starts and with random starts, and watch how k-means++ "
             "spreads its first centres apart.")
small = cache.teaching_image(image)
height, width = small.shape[:2]
n_seeds = st.slider("Runs per kind of start (seeds)", 5, 40, 20, key="starts_n_seeds",
                    help="Each run starts from another seed; the same seeds for both kinds.")
working_size_note(image, small.shape, f"k-means runs {2 * n_seeds} times here.")
if not params.has_features:
    st.warning("Select at least one feature in the sidebar: a colour space, texture, position "
               "or distance from centre.", icon="⚠️")
    st.stop()

bar = ProgressBar(f"Running k-means from {2 * n_seeds} starts...")
try:
    comparison = cache.starts(image, params, n_seeds, bar.update)
except cache.SETTINGS_ERRORS as err:
    st.warning(f"{err}\n\nChange the settings in the sidebar to continue.", icon="⚠️")
    st.stop()
finally:
    bar.done()

# --------------------------------------------------------------------------- #
# k-means++ against random
# --------------------------------------------------------------------------- #
st.subheader(f"{n_seeds} runs each, k = {params.k}")
for init, column in zip(comparison.inits, st.columns(len(comparison.inits))):
    runs = comparison.runs_of(init)
    stability = cache.start_stability(image, params, n_seeds, init, comparison)
    with column:
        st.markdown(f"**{init}**")
        first, second = st.columns(2)
        first.metric("Best inertia", f"{comparison.best(init).inertia:.5g}")
        second.metric("Worst inertia", f"{comparison.worst(init).inertia:.5g}")
        first.metric("Runs within 1 % of the best",
                     f"{comparison.good_fraction(init, GOOD_TOLERANCE):.0%}",
                     help=f"Of the best inertia over all {len(comparison.runs)} runs.")
        second.metric("Mean iterations", f"{np.mean([run.n_iter for run in runs]):.1f}")
        first.metric("Pairwise ARI, mean", f"{stability.mean:.3f}",
                     help=f"Adjusted Rand index between every pair of the {len(runs)} runs "
                          f"({stability.n_pairs} pairs): 1 = the same segments every time.")
        second.metric("Pairwise ARI, lowest", f"{stability.min:.3f}")
st.plotly_chart(cache.starts_figure(image, params, n_seeds, comparison, display.present),
                key="starts_chart",
                config=PLOTLY_CONFIG,
                alt="Box plots with every run as a dot: final inertia and iterations of the "
                    f"{n_seeds} k-means++ runs and the {n_seeds} random runs.")

st.markdown("**Best and worst run of each kind**")
pictures = [(init, which, getattr(comparison, which)(init))
            for init in comparison.inits for which in ("best", "worst")]
for column, (init, which, run) in zip(st.columns(len(pictures)), pictures):
    column.image(cache.labels_png(image, ("starts", params, n_seeds, init, run.seed), run.labels,
                                  display.palette),
                 caption=f"{init}, {which}: inertia {run.inertia:.5g} (seed {run.seed})",
                 output_format="PNG", width="stretch",
                 alt=f"The {which} {init} run: the picture in {params.k} flat segment colours.")
if image.sample_key != "stuck":
    st.markdown("On photographs the two kinds of start often end close together. **A case "
                "where a bad start visibly gets stuck:** six small balloons over sky and field, "
                "k = 8, RGB colour only.")
    st.button("Load the stuck-start example", key="starts_load_stuck",
              icon=":material/cloud:", on_click=apply_settings, args=(STUCK,),
              help="Sets sample = stuck, k = 8, colour = rgb, no position.")
else:
    st.caption(f"{get_sample('stuck').description} Random starts leave two centres in the sky "
               "or the field; Lloyd's steps then cannot move one of them to a balloon.")

# --------------------------------------------------------------------------- #
# Stability to similar pictures
# --------------------------------------------------------------------------- #
st.subheader("Stability: the same run on similar pictures")
bar = ProgressBar("Segmenting three similar pictures...")
try:
    similar = cache.perturbation_stability(image, params, bar.update)
finally:
    bar.done()
st.table(pd.DataFrame({
    "similar picture": [p.name for p in similar.perturbations],
    "what changed": [p.description for p in similar.perturbations],
    "ARI with the original": similar.ari}).style.format(
    {"ARI with the original": "{:.3f}"}).hide(axis="index"))
st.caption(f"The run of the sidebar's settings ({params.init}, seed {params.seed}) on the "
           "picture and on three slightly changed copies. A good segmentation barely changes: "
           "ARI close to 1.")

# --------------------------------------------------------------------------- #
# The k-means++ picks
# --------------------------------------------------------------------------- #
st.subheader("The k-means++ picks, step by step")
pick = st.slider("Pick", 1, params.k, params.k if params.k < 2 else 2, key="starts_pick_step",
                 help="Pick 1 is a random pixel; every next pick is drawn with probability "
                      "proportional to D², its squared feature distance to the nearest pick.")
st.plotly_chart(cache.picks_figure(image, params, pick, display.present),
                key="starts_picks_chart", config=PLOTLY_CONFIG,
                alt=f"Left: the photo with k-means++ picks 1 to {pick} numbered. Right: the "
                    f"probability each pixel had of being pick {pick}, bright where likely.")
st.plotly_chart(cache.picks_space_figure(image, params, pick, display.present),
                key="starts_picks_space_chart", config=PLOTLY_CONFIG,
                alt=f"Scatter plot of sampled pixels in feature space, coloured by the "
                    f"probability of being pick {pick}; picks 1 to {pick} numbered.")
earlier = "pick 1" if pick == 2 else f"picks 1 to {pick - 1}"
st.caption(f"Pick {pick} was drawn from the distribution on the right"
           + (" (uniform: every pixel is equally likely)." if pick == 1 else
              f": pixels far, in feature space, from {earlier} are bright (probability ∝ D²; "
              f"colour ∝ √probability), pixels like {earlier} are dark.")
           + " The lower chart shows the same picks in feature space: the likely pixels lie "
             "far from the earlier picks there, whatever their place on the photo."
           + " The greedy k-means++ that k-means really uses draws a few candidates per pick "
             "and keeps the best; these are the picks of the original algorithm.")

# --------------------------------------------------------------------------- #
# Your own starts
# --------------------------------------------------------------------------- #
st.subheader("Your own starting centres")
st.caption(f"Click pixels on the picture, one at a time (at most {MAX_PICKS}): each becomes a "
           "starting centre. Then run k-means from them and compare with k-means++.")
picks = current_picks(image.digest)
canvas_col, result_col = st.columns(2, gap="medium")
with canvas_col:
    st.plotly_chart(cache.pick_canvas(image, picks, large_text=display.present),
                    key=CANVAS_KEY, on_select=partial(add_pick, image.digest),
                    selection_mode="points",
                    config=PLOTLY_CONFIG,
                    alt=f"The photo; {len(picks)} pixels picked as starting centres, numbered.")
    with st.container(horizontal=True, gap="small"):
        st.button("Run from my picks", key="starts_run_picks", type="primary",
                  disabled=len(picks) < 2, icon=":material/play_arrow:", on_click=run_picks,
                  args=(image.digest,), help="Needs at least 2 picks.")
        st.button("Clear my picks", key="starts_clear_picks", on_click=clear_picks,
                  disabled=not picks)
with result_col:
    if len(picks) < 2:
        st.info(f"{len(picks)} pixel(s) picked: pick at least 2.")
    elif st.session_state.get(RAN_KEY) != (image.digest, tuple(picks)):
        st.info(f"{len(picks)} pixels picked: press **Run from my picks**.")
    else:
        features = cache.teaching_features(image, params)
        rows = [row * width + col for row, col in picks]
        if np.unique(features[rows], axis=0).shape[0] < len(rows):
            st.warning("Two of your pixels have exactly the same features: pick another one.")
        else:
            mine = cache.run_from_pixels(image, params, tuple(picks))
            plus = cache.teaching_kmeans(
                image, params.__class__(**{**params.segment_kwargs(), "init": "k-means++"}),
                len(picks))
            st.image(cache.labels_png(image, ("starts_mine", cache.feature_key(params),
                                              tuple(picks)), mine.labels, display.palette),
                     caption=f"From your {len(picks)} picks", output_format="PNG",
                     width="stretch",
                     alt=f"The picture in {len(picks)} flat segment colours, from your starts.")
            first, second = st.columns(2)
            change = 100 * (mine.inertia / plus.inertia - 1)
            first.metric("Your inertia", f"{mine.inertia:.5g}",
                         delta=(f"{change:+.1f} % vs k-means++" if abs(change) >= 0.05
                                else "same as k-means++"),
                         delta_color="inverse" if abs(change) >= 0.05 else "off")
            second.metric(f"k-means++ (seed {params.seed}), k = {len(picks)}",
                          f"{plus.inertia:.5g}")
            first.metric("Your iterations", mine.iteration)
            second.metric("k-means++ iterations", plus.iteration)

try_this("Load the **balloons** with k = 8 and RGB colour: how many of the random runs reach "
         "the best inertia, and how many of the k-means++ runs? Then pick 8 centres yourself: "
         "one in the sky, one in the field, one on each balloon.",
         {**STUCK, "starts_n_seeds": 20}, key="starts_try_this", label="Try this on the balloons")
