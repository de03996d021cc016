"""Side by side: two settings on one picture, the lesson's three feature choices, a weight sweep.

A thin page over :func:`ui.cache.small_segmentation` (k-means at the teaching
size, cached on digest + parameters), :func:`segmentation.comparison.disagreement`
(segments paired by the Hungarian algorithm) and
:func:`segmentation.comparison.region_summary` (regions, size, compactness).
The shared settings (sidebar) seed the A and B columns and fix k, colour and
seed for the feature choices and the sweep. This page's own keys start with
``compare_``.
"""

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from segmentation.params import COLOR_SPACES, INIT_CHOICES, K_RANGE, WEIGHT_RANGE, SegmentParams
from ui import cache, controls
from ui.display import display_settings
from ui.figures import PLOTLY_CONFIG
from ui.state import current_image
from ui.svg import inertia_svg
from ui.teaching import (ProgressBar, apply_settings, lesson_intro,
                         try_this, working_size_note)
from ui.teaching_figures import BAND

SIDES = ("a", "b")
SWEEP_WEIGHTS = (0.0, 0.1, 0.3, 0.5, 1.0, 2.0)
FIELDS = ("k", "color", "position_weight", "init", "seed")
# The two-setting comparisons the lesson talks about: what each preset sets on A and B.
PRESETS = {
    "RGB vs Lab colour": ({"color": "rgb"}, {"color": "lab"}),
    "Position weight 0 vs 1": ({"position_weight": 0.0}, {"position_weight": 1.0}),
    "Seed 1 vs seed 2": ({"seed": 1, "init": "random"}, {"seed": 2, "init": "random"}),
    "k-means++ vs random": ({"init": "k-means++"}, {"init": "random"}),
}


def side_key(side: str, field: str) -> str:
    """``compare_a_k``: the widget key of one field of side A or B."""
    return f"compare_{side}_{field}"


def preset_settings(a: Mapping[str, object], b: Mapping[str, object]) -> dict[str, object]:
    """Widget key -> value for a preset's A and B changes."""
    return {**{side_key("a", f): v for f, v in a.items()},
            **{side_key("b", f): v for f, v in b.items()}}


def side_controls(side: str, shared: SegmentParams) -> SegmentParams | None:
    """The compact controls of one side; its parameters, or None (with a warning) if invalid."""
    st.slider("k", *K_RANGE, key=side_key(side, "k"))
    st.selectbox("Colour", COLOR_SPACES, key=side_key(side, "color"))
    st.slider("Position weight (0 = off)", *WEIGHT_RANGE, step=0.05,
              key=side_key(side, "position_weight"))
    init_col, seed_col = st.columns(2)
    init_col.radio("Start", INIT_CHOICES, key=side_key(side, "init"))
    seed_col.number_input("Seed", 0, 10_000, step=1, key=side_key(side, "seed"))
    values = {field: st.session_state[side_key(side, field)] for field in FIELDS}
    params = SegmentParams(**{**shared.segment_kwargs(), **values})
    if not params.has_features:
        st.warning("Choose a colour or a position weight above 0: no feature is selected.")
        return None
    return params


def run_numbers(result, params: SegmentParams) -> None:
    """Inertia, iterations, regions and compactness of one side."""
    regions = cache.small_regions(image, params)
    first, second = st.columns(2)
    first.metric("Inertia", f"{result.inertia:.4g}", help=f"Features: {params.spec().describe()}.")
    second.metric("Iterations", result.n_iter)
    first.metric("Connected regions", f"{regions.count:,}")
    second.metric("Compactness", f"{regions.compactness:.2f}",
                  help="Area-weighted 4π·area/perimeter² of the regions (π/4 ≈ 0.79 at best).")


image = current_image()
display = display_settings()
shared = controls.segmentation_controls()  # shared k and features, in the sidebar

st.title("Side by side")
lesson_intro("Two runs on the same picture can look alike and still disagree on many pixels: "
             "after pairing their segments, the disagreement view below shows exactly where. "
             "Then compare the lesson's three feature choices by numbers: colour alone "
             "fragments the picture into many small regions, position makes regions coherent "
             "but can merge same-coloured objects or cut big ones.")
small = cache.teaching_image(image)
working_size_note(image, small.shape, "this page runs k-means 11 times.")
default_color = shared.color if shared.color != "none" else "rgb"
default_weight = shared.position_weight if shared.position_weight > 0 else 0.3
for side in SIDES:  # first visit: A is the shared run, B the same in another colour space
    other_color = "lab" if default_color != "lab" else "rgb"
    start = {"k": shared.k, "color": default_color if side == "a" else other_color,
             "position_weight": shared.position_weight, "init": shared.init, "seed": shared.seed}
    for field in FIELDS:
        st.session_state.setdefault(side_key(side, field), start[field])

bar = ProgressBar("Running k-means for the comparisons...")
runs_done, runs_total = 0, 2 + 3 + len(SWEEP_WEIGHTS)


def run(params: SegmentParams):
    """The cached run of ``params``, counted on the progress bar."""
    global runs_done
    result = cache.small_segmentation(image, params)
    runs_done += 1
    bar.update(runs_done / runs_total)
    return result


# --------------------------------------------------------------------------- #
# A and B
# --------------------------------------------------------------------------- #
st.subheader("Two settings, A and B")
with st.container(horizontal=True, key="compare_presets", gap="small"):
    for number, (name, (a, b)) in enumerate(PRESETS.items()):
        st.button(name, key=f"compare_preset_{number}", on_click=apply_settings,
                  args=(preset_settings(a, b),), help="Sets A and B to this comparison.")
columns = st.columns(2, gap="large")
results = {}
for side, column in zip(SIDES, columns):
    with column:
        st.markdown(f"**{side.upper()}**")
        with st.expander(f"Settings of {side.upper()}", expanded=False):
            params = side_controls(side, shared)
        if params is None:
            continue
        try:
            result = run(params)
        except cache.SETTINGS_ERRORS as err:
            st.warning(str(err))
            continue
        results[side] = (params, result)
        st.image(cache.labels_png(image, ("compare", params), result.labels, display.palette,
                                  alpha=0.6),
                 caption=f"{side.upper()}: k = {params.k}, {params.spec().describe()}, "
                         f"{params.init}, seed {params.seed}",
                 output_format="PNG", width="stretch",
                 alt=f"Setting {side.upper()}: the picture with its {params.k} segments painted "
                     "over it.")
        inertias = [state.inertia for state in result.states]
        st.image(inertia_svg(inertias, len(inertias) - 1, large_text=display.present),
                 width=320,
                 alt=f"Inertia of {side.upper()} over {result.n_iter} iterations, from "
                     f"{inertias[0]:.4g} to {inertias[-1]:.4g}.")
        run_numbers(result, params)

if len(results) == 2:
    (params_a, result_a), (params_b, result_b) = results["a"], results["b"]
    where = cache.disagreement_of(image, params_a, params_b)
    picture_col, numbers_col = st.columns([3, 2], gap="medium")
    with picture_col:
        st.image(cache.highlight_png(image, ("compare_disagree", params_a, params_b), where.mask),
                 caption="Where A and B disagree: bright pixels; the others are darkened.",
                 output_format="PNG", width="stretch",
                 alt=f"The picture with the {100 * where.fraction:.0f} % of pixels where A and B "
                     "disagree left bright and the rest darkened.")
    with numbers_col:
        st.metric("Pixels in disagreement", f"{100 * where.fraction:.1f} %")
        st.metric("Adjusted Rand index", f"{where.adjusted_rand:.3f}",
                  help="1: the same segments (whatever their numbers); about 0: unrelated.")
        st.caption("Segment numbers are arbitrary, so each segment of B is first paired with "
                   "one segment of A, maximising their overlap (the Hungarian algorithm); a "
                   "pixel disagrees when its B segment is not the partner of its A segment."
                   + (" A and B have different k: the extra segments have no partner."
                      if params_a.k != params_b.k else ""))
    if params_a.spec() != params_b.spec():
        st.caption("A and B use different features: their inertias are in different units "
                   "and cannot be compared.")

# --------------------------------------------------------------------------- #
# The three feature choices
# --------------------------------------------------------------------------- #
st.subheader("Colour, position, or both")
st.caption(f"Same picture, k = {shared.k}, seed {shared.seed}; colour = {default_color}, "
           f"position weight {default_weight:g} (from the shared settings).")
choices = {
    "Colour only": SegmentParams(k=shared.k, color=default_color, position_weight=0.0,
                                 seed=shared.seed),
    "Position only": SegmentParams(k=shared.k, color="none", position_weight=1.0,
                                   seed=shared.seed),
    "Colour + weighted position": SegmentParams(k=shared.k, color=default_color,
                                                position_weight=default_weight, seed=shared.seed),
}
rows = []
for column, (name, params) in zip(st.columns(3), choices.items()):
    result = run(params)
    regions = cache.small_regions(image, params)
    rows.append({"features": name, "inertia (not comparable)": result.inertia,
                 "connected regions": regions.count, "mean region size (px)": regions.mean_size,
                 "mean compactness": regions.compactness})
    column.image(cache.labels_png(image, ("compare", params), result.labels, display.palette),
                 caption=f"{name}: {regions.count:,} regions", output_format="PNG",
                 width="stretch",
                 alt=f"{name}: the picture in {params.k} flat segment colours, "
                     f"{regions.count} connected regions.")
st.table(pd.DataFrame(rows).style.format(
    {"inertia (not comparable)": "{:.4g}", "mean region size (px)": "{:,.0f}",
     "mean compactness": "{:.2f}"}).hide(axis="index"))
st.caption("Inertia is measured in each run's own features, so it is **not comparable** "
           "across these three rows. Connected regions: more means more fragmented. Mean "
           "compactness: 4π·area/perimeter² of each region, weighted by area (π/4 ≈ 0.79 for "
           "a square, near 0 for thin or ragged regions).")

# --------------------------------------------------------------------------- #
# The position-weight sweep
# --------------------------------------------------------------------------- #
st.subheader("Position weight, from 0 to 2")
counts = []
for column, weight in zip(st.columns(len(SWEEP_WEIGHTS)), SWEEP_WEIGHTS):
    params = SegmentParams(k=shared.k, color=default_color, position_weight=weight,
                           seed=shared.seed)
    result = run(params)
    counts.append(cache.small_regions(image, params).count)
    inside = BAND[0] <= weight <= BAND[1]
    column.image(cache.labels_png(image, ("compare", params), result.labels, display.palette),
                 caption=f"weight {weight:g}: {counts[-1]:,} regions" + (" ✓" if inside else ""),
                 output_format="PNG", width="stretch",
                 alt=f"Position weight {weight:g}: {counts[-1]} connected regions.")
bar.done()
st.plotly_chart(cache.sweep_figure(SWEEP_WEIGHTS, tuple(counts), large_text=display.present),
                key="compare_sweep_chart", config=PLOTLY_CONFIG,
                alt="Line chart of the number of connected regions against the position weight, "
                    f"from {counts[0]} at 0 to {counts[-1]} at 2, with the recommended band "
                    f"{BAND[0]}–{BAND[1]} shaded.")
st.caption(f"The lesson recommends a weight between {BAND[0]} and {BAND[1]} (shaded, ✓): "
           "enough to join the specks of colour-only segments, not so much that segments "
           "become tiles of the picture whatever their colour.")

try_this("Load **Shapes (two blue discs)** and compare A = position weight 0 with B = position "
         "weight 1 at k = 6, Lab colour: where do they disagree, and which one separates the two "
         "blue discs?",
         {"sample": "shapes", "k": 6, "color": "lab",
          **preset_settings({"k": 6, "color": "lab", "position_weight": 0.0},
                            {"k": 6, "color": "lab", "position_weight": 1.0})},
         key="compare_try_this", label="Try this on Shapes")
