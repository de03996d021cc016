"""Other methods: SLIC, Felzenszwalb and hierarchical merging beside our k-means.

A thin page over :mod:`segmentation.methods`, through :mod:`ui.cache` (the
"Other methods" section), on the sidebar's picture at the teaching size:

1. the four methods side by side, each with its time and region count;
2. the hierarchy over SLIC superpixels, browsed by a slider from fine to
   coarse (the merge sequence is computed once; the slider only relabels);
3. the lesson: SLIC *is* k-means on colour + position with a local window,
   and its compactness is our position weight (the agreement of the two,
   and the grid over compactness x weight);
4. k-means over superpixel means: the measured speed-up and what it costs.

The shared k, colour, position weight and seed come from the sidebar. This
page's own keys start with ``methods_``.
"""

import pandas as pd
import streamlit as st

from segmentation.comparison import region_summary
from segmentation.methods import equivalent_position_weight
from segmentation.params import WEIGHT_RANGE, SegmentParams
from ui import cache, controls
from ui.display import display_settings
from ui.figures import PLOTLY_CONFIG
from ui.state import current_image
from ui.teaching import ProgressBar, apply_settings, lesson_intro, try_this, working_size_note

# The agreement grid: SLIC compactness (rows) x our position weight (columns). At 160 px
# and k = 4 the equivalent weights of these rows are 0.02 ... 2, across the columns.
COMPACTNESS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0)
WEIGHT_STEP = 0.05
NAMES = {"k-means": "Our k-means", "SLIC": "SLIC superpixels",
         "Felzenszwalb": "Felzenszwalb (graph)", "hierarchy": "Hierarchical merging"}
STAGES = 4  # first computation: methods, hierarchy, agreement grid, superpixel timing


def stage(index: int):
    """A progress callback ``(done, total, name)`` for stage ``index`` of the first run."""
    return lambda done, total, _name: bar.update((index + done / max(total, 1)) / STAGES)


def nearest_weight(weight: float) -> float:
    """``weight`` on the weight slider: a multiple of 0.05 within its range."""
    return min(max(round(weight / WEIGHT_STEP) * WEIGHT_STEP, WEIGHT_RANGE[0]), WEIGHT_RANGE[1])


def level_choices(coarsest: int, finest: int) -> list[int]:
    """The hierarchy slider's stops, fine to coarse: every count up to 20, then sparser
    (284, 250, 200, ..., 25, 20, 19, ..., 1 for 284 superpixels)."""
    sparse = (25, 30, 40, 50, 60, 80, 100, 125, 150, 200, 250, 300, 400, 500)
    stops = {n for n in range(coarsest, min(finest, 20) + 1)}
    stops |= {n for n in sparse if coarsest <= n <= finest} | {finest}
    return sorted(stops, reverse=True)


def picture(column, what: tuple, labels, caption: str, alt: str) -> None:
    """A label image drawn as mean colours with region edges, in ``column``."""
    column.image(cache.method_picture(image, what, labels), caption=caption, width="stretch",
                 alt=alt)


image = current_image()
display = display_settings()
shared = controls.segmentation_controls()  # shared k and features, in the sidebar

st.title("Other methods")
lesson_intro("k-means groups pixels by colour alone unless told about position; other methods "
             "start from neighbouring pixels. Notice how many *connected regions* each one "
             "gives (not the same as its number of segments), and that SLIC is our k-means "
             "again, with position weighted by its compactness and a local search window.")
small = cache.teaching_image(image)
working_size_note(image, small.shape, "this page runs SLIC some 12 times and k-means some 15.")
params = shared
if not shared.has_features:
    st.warning("No feature is selected in the sidebar: k-means here uses Lab colour.")
    params = SegmentParams(k=shared.k, color="lab", position_weight=0.0, seed=shared.seed)
bar = ProgressBar("Running the other methods (first time for this picture)...")

# --------------------------------------------------------------------------- #
# 1. Side by side
# --------------------------------------------------------------------------- #
st.subheader("Four methods, one picture")
try:
    results = {result.method: result for result in cache.method_results(image, params, stage(0))}
except cache.SETTINGS_ERRORS as err:
    st.warning(str(err))
    st.stop()
shown = [results[name] for name in NAMES]
for column, result in zip(st.columns(len(shown)), shown):
    picture(column, ("methods", result.method, result.parameters), result.labels,
            f"{NAMES[result.method]}: {result.n_regions:,} regions, "
            f"{1000 * result.seconds:.0f} ms",
            f"{NAMES[result.method]}: the picture painted in the mean colour of each of its "
            f"{result.n_segments} segments ({result.n_regions} connected regions), region "
            "edges in white.")
st.table(pd.DataFrame([{
    "method": NAMES[r.method], "segments": r.n_segments, "connected regions": r.n_regions,
    "time (ms)": 1000 * r.seconds, "settings": r.parameters} for r in shown])
    .style.format({"time (ms)": "{:.0f}"}).hide(axis="index"))
st.caption("A *segment* is one label; a *connected region* is one piece of it. k-means "
           "segments can be scattered over the picture, so they make many regions; the other "
           "three build regions from neighbouring pixels, so each segment is one region. "
           "SLIC asks for about 400 superpixels, Felzenszwalb for large regions (scale 500, "
           "at least 500 px); the hierarchy merges the superpixels down to k. Times are wall "
           "times of the first run on this server, shared with everyone.")

# --------------------------------------------------------------------------- #
# 2. The hierarchy, fine to coarse
# --------------------------------------------------------------------------- #
st.subheader("Hierarchical merging, from fine to coarse")
hierarchy = cache.hierarchy(image, stage(1))
low, high = hierarchy.coarsest, hierarchy.n_superpixels
choices = level_choices(low, high)
current = st.session_state.get("methods_regions")
if current not in choices:  # first visit (start at k), or a new picture's other range
    wanted = params.k if current is None else current
    st.session_state["methods_regions"] = min(choices, key=lambda n: abs(n - wanted))
n_regions = st.select_slider(
    "Regions: fine (left) to coarse (right)", choices, key="methods_regions",
    help="Each step to the right merges the two adjacent regions whose mean colours are "
         "closest. The merges were computed once; the slider only relabels.")
level = cache.hierarchy_level(image, n_regions)
regions_shown = region_summary(level).count
first, second, third = st.columns(3)
first.metric("Regions in the picture", f"{regions_shown:,}")
second.metric("Superpixels at the finest level", f"{high:,}")
if n_regions > low:
    third.metric("Next merge joins colours ΔE apart",
                 f"{hierarchy.distances[high - n_regions]:.1f}",
                 help="CIELAB distance of the two closest adjacent regions: about 2.3 is just "
                      "noticeable, above 20 clearly different colours.")
picture_col, chart_col = st.columns([1, 2], gap="medium")
picture(picture_col, ("methods_level", n_regions), level,
        f"Hierarchy cut at {n_regions} regions",
        f"The picture as {regions_shown} merged regions, each in its mean colour.")
chart_col.plotly_chart(cache.hierarchy_figure(image, n_regions, large_text=display.present),
                       key="methods_merge_chart", config=PLOTLY_CONFIG,
                       alt="Step chart of the colour distance of each merge against the number "
                           f"of regions it starts from, from {high} superpixels down to {low}; "
                           f"the next merge after {n_regions} regions is marked.")
st.caption(f"SLIC made {high} superpixels; their region adjacency graph (an edge between "
           "touching superpixels, weighted by the distance of their mean colours) was merged "
           f"greedily, closest pair first, down to {low} region{'s' if low != 1 else ''}, in "
           f"{1000 * hierarchy.seconds:.0f} ms. The chart: the distance of each merge. Merges "
           "grow costlier towards the right; a jump is where two really different regions "
           "would be joined, a good place to stop.")

# --------------------------------------------------------------------------- #
# 3. SLIC is k-means on colour + position
# --------------------------------------------------------------------------- #
st.subheader("SLIC is k-means on colour + position")
st.markdown("SLIC places its starting centres on a grid (step S), then runs the k-means "
            "steps we know, on CIELAB colour and pixel position, with one change: each centre "
            "only looks at the pixels within 2S of it. Its **compactness** m weighs position "
            "against colour, as our **position weight** w does. Written in the same units:")
st.latex(r"\begin{aligned}"
         r"D^2_{\mathrm{SLIC}} &= \Big(\frac{\Delta E}{m}\Big)^2 + \Big(\frac{\Delta xy}{S}\Big)^2"
         r"\\ D^2_{\mathrm{ours}} &= \Big(\frac{\Delta E}{100}\Big)^2"
         r" + w^2 \Big(\frac{\Delta xy}{L-1}\Big)^2"
         r"\end{aligned}")
st.markdown("They are the same distance, up to a constant factor, when")
st.latex(r"w = \frac{m\,(L-1)}{100\,S}")
st.caption(f"Both with k = {params.k} segments (SLIC asked for k superpixels, without its "
           "connectivity clean-up), our k-means on Lab colour like SLIC; L is the picture's "
           "side in pixels, S = √(pixels / k).")
st.session_state.setdefault("methods_compactness", 10.0)
st.session_state.setdefault("methods_weight", nearest_weight(params.position_weight or 0.3))
slic_col, kmeans_col, numbers_col = st.columns(3, gap="medium")
compactness = slic_col.select_slider("SLIC compactness m", COMPACTNESS, key="methods_compactness",
                                     format_func=lambda m: f"{m:g}",
                                     help="Larger: position counts more, squarer superpixels.")
weight = kmeans_col.slider("k-means position weight w", *WEIGHT_RANGE, step=WEIGHT_STEP,
                           key="methods_weight",
                           help="Larger: position counts more, more compact segments.")
slic_run = cache.lesson_slic(image, params.k, compactness)
kmeans_run = cache.lesson_kmeans(image, params.k, weight, params.seed)
picture(slic_col, ("methods_slic", params.k, compactness), slic_run.labels,
        f"SLIC, m = {compactness:g}: {slic_run.n_segments} segments, "
        f"{slic_run.n_regions:,} regions",
        f"SLIC with compactness {compactness:g}: {slic_run.n_segments} segments in their mean "
        "colours.")
picture(kmeans_col, ("methods_kmeans", params.k, weight, params.seed), kmeans_run.labels,
        f"k-means, w = {weight:g}: {kmeans_run.n_segments} segments, "
        f"{kmeans_run.n_regions:,} regions",
        f"Our k-means with position weight {weight:g}: {kmeans_run.n_segments} segments in their "
        "mean colours.")
agreement = cache.lesson_agreement(image, params.k, compactness, weight, params.seed)
equivalent = equivalent_position_weight(small, params.k, compactness)
numbers_col.metric("Agreement (adjusted Rand index)", f"{agreement.adjusted_rand:.3f}",
                   help="1: the same segments (whatever their numbers); about 0: unrelated.")
numbers_col.metric("Pixels agreeing", f"{100 * (1 - agreement.fraction):.1f} %",
                   help="After pairing each k-means segment with a SLIC segment (Hungarian "
                        "algorithm), the share of pixels in partner segments.")
numbers_col.metric(f"Equivalent weight for m = {compactness:g}", f"{equivalent:.2f}")
numbers_col.button(f"Set w = {nearest_weight(equivalent):g}, the equivalent",
                   key="methods_equivalent", icon=":material/balance:", on_click=apply_settings,
                   args=({"methods_weight": nearest_weight(equivalent)},),
                   help="Moves the k-means slider to the weight that weighs position as this "
                        "compactness does (rounded to the slider's step).")

grid = cache.agreement_grid(image, params.k, params.seed, COMPACTNESS, WEIGHTS, stage(2))
best_m, best_w, best_ari = grid.best
st.plotly_chart(cache.agreement_figure(image, grid, params.seed, compactness, weight,
                                       large_text=display.present),
                key="methods_agreement_chart", config=PLOTLY_CONFIG,
                alt=f"Heat map of the agreement (adjusted Rand index) of SLIC and k-means for "
                    f"{len(COMPACTNESS)} compactness values by {len(WEIGHTS)} position weights, "
                    f"highest {best_ari:.2f} at compactness {best_m:g} and weight {best_w:g}; "
                    "white dots mark the equivalent weight of each compactness, an orange "
                    "square your settings.")
st.caption("Each cell: how closely SLIC at that compactness and k-means at that weight agree. "
           "The white dots follow the equivalent weight: the bright cells lie along them. "
           "Where they still disagree, blame SLIC's local window and its grid start (k-means "
           "starts from k-means++ picks): the two can settle in different local minima.")

# --------------------------------------------------------------------------- #
# 4. k-means over superpixels
# --------------------------------------------------------------------------- #
st.subheader("k-means over superpixels")
bar.update(3 / STAGES)
comparison = cache.superpixel_comparison(image, params)
bar.done()
n_superpixels = results["SLIC"].n_segments
pixels_col, superpixels_col, numbers_col = st.columns(3, gap="medium")
picture(pixels_col, ("methods_pixels", comparison.pixels.parameters), comparison.pixels.labels,
        f"k-means on {small.shape[0] * small.shape[1]:,} pixels: "
        f"{1000 * comparison.pixels.seconds:.0f} ms",
        f"k-means on every pixel: {comparison.pixels.n_segments} segments in their mean colours.")
picture(superpixels_col, ("methods_superpixels", comparison.superpixels.parameters),
        comparison.superpixels.labels,
        f"k-means on {n_superpixels} superpixel means: "
        f"{1000 * comparison.superpixels.seconds:.0f} ms (SLIC included)",
        f"k-means on the mean features of {n_superpixels} superpixels, painted back: "
        f"{comparison.superpixels.n_segments} segments in their mean colours.")
clustering = max(comparison.superpixels.seconds - comparison.slic_seconds, 0.0)
numbers_col.metric("Speed-up", f"{comparison.speedup:.2f}×",
                   help="Time of k-means on the pixels / time of SLIC + k-means on the "
                        "superpixels (fastest of 3 runs each).")
numbers_col.metric("Agreement with pixel k-means (ARI)", f"{comparison.agreement:.3f}")
numbers_col.metric("Inertia change (pixel features)",
                   f"{100 * (comparison.inertia_ratio - 1):+.0f} %",
                   help="Sum of squared distances of every pixel's features to its segment's "
                        "mean, superpixel labels against pixel labels: the price of clustering "
                        "averages.")
faster = "faster" if comparison.speedup > 1 else "slower"
st.caption(f"Measured here, {params.spec().describe()}, k = {params.k}: clustering "
           f"{n_superpixels} superpixel means instead of {small.shape[0] * small.shape[1]:,} "
           f"pixels is {comparison.speedup:.2f}× as fast in all ({faster}). Of the "
           f"{1000 * comparison.superpixels.seconds:.0f} ms, SLIC alone takes "
           f"{1000 * comparison.slic_seconds:.0f} ms and the clustering about "
           f"{1000 * clustering:.0f} ms. At this small size our k-means is already quick (it "
           "groups equal colours and skips distances it can bound), so superpixels pay off "
           "on big pictures and slow clustering; the cost is segments that follow superpixel "
           "edges, a higher inertia.")

try_this("Set SLIC's compactness to **100** and k-means' weight to **0**: SLIC tiles the picture, "
         "k-means follows colour, and they disagree. Raise the weight step by step: where do "
         "they agree best, and is it near the equivalent weight? Then try compactness 1.",
         {"methods_compactness": 100.0, "methods_weight": 0.0}, key="methods_try_this",
         label="Compactness 100, weight 0")
