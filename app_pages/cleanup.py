"""Clean-up: from k-means confetti to regions, one post-processing step at a time.

A thin page over :func:`ui.cache.cleanup_steps`, which runs
:func:`segmentation.postprocess.clean_steps` on Explore's own k-means result
of the current picture (same working size, same cache entry), so with the
default settings the last step is exactly what Explore's *Clean up* switch
shows. Each step is a switch with its setting; every step shows the labels
before and after it, the segments and connected regions left, and its time.
This page's own keys start with ``cleanup_``.
"""

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from segmentation import encode_png
from segmentation.postprocess import CLEAN_DEFAULTS, CleanStep, CleanSteps
from segmentation.samples import get_sample
from ui import cache, controls
from ui.display import display_settings
from ui.state import current_image
from ui.teaching import ProgressBar, apply_settings, lesson_intro, try_this

EXPLORE = "app_pages/explore.py"
_OPEN_KEY = "_cleanup_open_explore"  # set by the button, read at the top of the next run
VIEWS = {"segments": "Segment colours", "regions": "Connected regions",
         "boundaries": "Region edges on the photo"}
MIN_SIZES = tuple(sorted({2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
                          CLEAN_DEFAULTS["min_size"] or 128}))
MERGE_RANGE = (1.0, 80.0)  # ΔE
RADIUS_RANGE = (1, 6)  # pixels


@dataclass(frozen=True)
class StepControl:
    """One clean-up step as this page draws it."""

    name: str  # CleanStep.name of the step (segmentation.postprocess.clean_steps)
    title: str  # heading on the page
    switch: str  # key of its on/off toggle
    setting: str | None  # key of its parameter widget; None for a step without one
    explain: str  # what it does, in a sentence or two (Markdown)


STEPS = (
    StepControl("remove small regions", "Remove small isolated regions", "cleanup_small",
                "cleanup_min_size",
                "Every connected region smaller than the minimum size joins the neighbour it "
                "shares the longest border with: a speck in the sky becomes sky (there is no "
                "\"background\" to send it to)."),
    StepControl("fill holes", "Fill holes", "cleanup_fill", None,
                "A region entirely enclosed by one segment becomes part of it, like a lake "
                "filled in. Off by default: it also swallows true regions, such as a disc "
                "lying inside another region."),
    StepControl("merge similar", "Merge similar neighbours", "cleanup_merge",
                "cleanup_merge_threshold",
                "Neighbouring regions whose mean colours differ by less than the threshold "
                "(ΔE, the distance in CIELAB; about 2.3 is just noticeable) merge, the most "
                "similar pair first, over a region adjacency graph."),
    StepControl("smooth", "Smooth boundaries", "cleanup_smooth", "cleanup_smooth_radius",
                "A majority filter: each pixel takes the most common segment within the radius, "
                "which straightens ragged borders and removes one-pixel tongues."),
)
STEP_DEFAULTS = {  # widget key -> value of the default clean-up (CLEAN_DEFAULTS)
    "cleanup_small": CLEAN_DEFAULTS["min_size"] > 1,
    "cleanup_min_size": CLEAN_DEFAULTS["min_size"] or 128,
    "cleanup_fill": CLEAN_DEFAULTS["fill"],
    "cleanup_merge": CLEAN_DEFAULTS["merge_threshold"] > 0,
    "cleanup_merge_threshold": float(CLEAN_DEFAULTS["merge_threshold"] or 32.0),
    "cleanup_smooth": CLEAN_DEFAULTS["smooth_radius"] > 0,
    "cleanup_smooth_radius": CLEAN_DEFAULTS["smooth_radius"] or 1,
}
WIDGET_DEFAULTS = {**STEP_DEFAULTS, "cleanup_view": "segments", "cleanup_highlight": False}


def chosen_settings() -> cache.CleanSettings:
    """The settings the step widgets hold (a switched-off step gets 0 / False)."""
    state = st.session_state
    return cache.CleanSettings(
        min_size=int(state["cleanup_min_size"]) if state["cleanup_small"] else 0,
        fill=bool(state["cleanup_fill"]),
        merge_threshold=float(state["cleanup_merge_threshold"]) if state["cleanup_merge"] else 0.0,
        smooth_radius=int(state["cleanup_smooth_radius"]) if state["cleanup_smooth"] else 0)


def open_explore_cleaned() -> None:
    """Button callback: switch Explore's clean-up on and ask for Explore (switched to below)."""
    st.session_state["explore_clean"] = True
    st.session_state[_OPEN_KEY] = True


def step_widgets(control: StepControl) -> None:
    """The step's switch and its setting (disabled while the step is off)."""
    on = st.toggle("On", key=control.switch)
    if control.setting == "cleanup_min_size":
        st.select_slider("Minimum size (pixels)", MIN_SIZES, key=control.setting, disabled=not on,
                         help="A region of exactly this many pixels stays; one pixel less goes.")
    elif control.setting == "cleanup_merge_threshold":
        st.slider("Colour-distance threshold ΔE", *MERGE_RANGE, step=1.0, format="%.0f",
                  key=control.setting,
                  disabled=not on, help="Neighbours closer than this in mean CIELAB colour merge.")
    elif control.setting == "cleanup_smooth_radius":
        st.slider("Majority-filter radius (pixels)", *RADIUS_RANGE, key=control.setting,
                  disabled=not on, help="The disk each pixel looks at for the majority.")


def picture(index: int, labels, alt: str, caption: str, before=None) -> None:
    """The labels after recorded step ``index`` (0: k-means) in the chosen view (PNG, or
    JPEG over the photo), with their caption."""
    view = st.session_state["cleanup_view"]
    # The key: how the labels were made (step 0 does not depend on the settings).
    what = ("cleanup", params) + (("input",) if index == 0 else (settings, index))
    data = cache.cleanup_picture(image, what, labels, view, display.palette, before)
    st.image(data, caption=caption, output_format="JPEG" if view == "boundaries" else "PNG",
             width="stretch", alt=f"{alt}, drawn as {VIEWS[view].lower()}.")


def counts_text(step: CleanStep) -> str:
    """"4 segments, 86 connected regions"."""
    return (f"{step.n_segments} segment{'s' if step.n_segments != 1 else ''}, "
            f"{step.n_regions:,} connected region{'s' if step.n_regions != 1 else ''}")


def steps_table(steps: CleanSteps) -> pd.DataFrame:
    """One row per recorded step: its setting, counts and time."""
    return pd.DataFrame([{"step": step.name, "setting": step.parameter or "k-means labels",
                          "segments": step.n_segments, "connected regions": step.n_regions,
                          "time (ms)": 1000 * step.seconds} for step in steps.steps])


if st.session_state.pop(_OPEN_KEY, False):
    st.switch_page(EXPLORE)

image = current_image()
display = display_settings()
params = controls.segmentation_controls()  # shared k and features, in the sidebar
for key, value in WIDGET_DEFAULTS.items():
    st.session_state.setdefault(key, value)

st.title("Clean-up")
lesson_intro("k-means labels each pixel on its own, so a segment comes back as a few large "
             "regions plus a confetti of specks. Watch the number of **connected regions** fall "
             "at each step below while the number of segments hardly moves: clean-up only moves "
             "pixels between segments that already exist.")

settings = chosen_settings()
bar = ProgressBar("Cleaning up, step by step...")
try:
    steps = cache.cleanup_steps(image, params, settings,
                                progress=lambda done, total, name: bar.update(done / max(total, 1)))
except cache.SETTINGS_ERRORS as err:
    st.warning(f"{err}\n\nChange the k-means settings in the sidebar to continue.", icon="⚠️")
    st.stop()
bar.done()
first, last = steps.steps[0], steps.steps[-1]

# --------------------------------------------------------------------------- #
# Before and after (the first screen: both pictures and the numbers)
# --------------------------------------------------------------------------- #
# Numbers first: on a phone the columns stack, and the counts are the lesson.
numbers_col, before_col, after_col = st.columns([2, 3, 3], gap="medium")
with numbers_col:
    st.radio("Draw the labels as", list(VIEWS), format_func=VIEWS.get, key="cleanup_view",
             help="Segment colours: k colours, every speck shows. Connected regions: each "
                  "piece in a colour of its own, as a score counts them. Region edges: the "
                  "borders on the photo.")
    st.metric("Connected regions", f"{last.n_regions:,}",
              delta=f"{last.n_regions - first.n_regions:,}", delta_color="inverse",
              help=f"k-means left {first.n_regions:,}.")
    with st.container(horizontal=True, key="cleanup_summary_numbers"):  # side by side, phone too
        st.metric("Segments", last.n_segments,
                  delta=(last.n_segments - first.n_segments) or None, delta_color="off",
                  help=f"k-means made {first.n_segments}.")
        st.metric("Time", f"{steps.seconds:.2f} s", help="The whole clean-up, when first computed.")
with before_col:
    picture(0, first.labels, f"k-means labels, {counts_text(first)}",
            f"k-means: {counts_text(first)}")
with after_col:
    picture(len(steps.steps) - 1, last.labels, f"Cleaned-up labels, {counts_text(last)}",
            f"Cleaned up: {counts_text(last)}")
height, width = image.size
original_height, original_width = image.original_size
shrunk = f" (shrunk from {original_width} x {original_height})" if image.downscaled else ""
st.caption(f"Computed on Explore's own k-means result, at its working size {width} x {height} "
           f"px{shrunk}: with the default settings the last step is exactly what Explore's "
           "*Clean up* switch shows, and sizes in pixels mean the same there. Results are "
           "cached, so the whole class shares them.")
st.markdown(
    "**Why count regions, not segments?** A person sees *regions*: two discs of the same blue "
    "are two objects, and a segment scattered in 300 specks is 300 pieces. So every score "
    "against a human ground truth (the *Ground truth* page, `bench/quality.py`) first splits "
    "both label images into **connected regions**: pixels of the same segment joined by steps "
    "up, down, left or right (*connected-component labelling*: "
    "`skimage.measure.label(labels, background=-1, connectivity=1)`, no label being "
    "background). Draw the labels as *connected regions* above to see them. Clean-up is what "
    "turns k-means' confetti into regions that score well.")

# --------------------------------------------------------------------------- #
# Step by step
# --------------------------------------------------------------------------- #
st.subheader("Step by step")
st.toggle("Brighten the pixels each step moved (the others are darkened)",
          key="cleanup_highlight")
highlight = st.session_state["cleanup_highlight"]
recorded = {step.name: (index, step) for index, step in enumerate(steps.steps)}
previous_index, previous = 0, first
for number, control in enumerate(STEPS, start=1):
    with st.container(key=f"cleanup_step_{number}", border=True):
        st.markdown(f"**{number}. {control.title}**")
        controls_col, before_col, after_col = st.columns([2, 3, 3], gap="medium")
        index, step = recorded.get(control.name, (previous_index, None))
        with controls_col:
            step_widgets(control)
            st.caption(control.explain)
        with before_col:
            picture(previous_index, previous.labels,
                    f"Before step {number}, {counts_text(previous)}",
                    f"Before: {counts_text(previous)}")
        with after_col:
            if step is None:
                st.info("Switched off: the labels go on unchanged.", icon=":material/block:")
            else:
                moved = int((step.labels != previous.labels).sum())
                picture(index, step.labels, f"After step {number}, {counts_text(step)}",
                        f"After: {counts_text(step)}; {moved:,} pixels moved",
                        before=previous.labels if highlight else None)
        with controls_col:
            shown = step if step is not None else previous
            with st.container(horizontal=True, key=f"cleanup_step_{number}_numbers"):
                st.metric("Segments", shown.n_segments,
                          delta=(shown.n_segments - previous.n_segments) or None,
                          delta_color="off")
                st.metric("Regions", f"{shown.n_regions:,}",
                          delta=f"{shown.n_regions - previous.n_regions:,}",
                          delta_color="inverse", help="Connected regions after this step.")
            st.caption(f"Time: {step.seconds * 1000:,.0f} ms ({step.parameter})" if step
                       else "Time: 0 ms (off)")
    if step is not None:
        previous_index, previous = index, step

# --------------------------------------------------------------------------- #
# The steps in numbers, the defaults, the download
# --------------------------------------------------------------------------- #
st.subheader("The steps in numbers")
st.table(steps_table(steps).style.format({"connected regions": "{:,}", "time (ms)": "{:,.0f}"})
         .hide(axis="index"))
scores = cache.cleanup_scores(image, params, settings, steps)
if scores is not None:
    st.markdown("**Against the ground truth** of this synthetic picture, on connected regions "
                "(as `bench/quality.py` scores):")
    st.table(pd.DataFrame([{"after": step.name, "connected regions": score.n_regions,
                            "Rand index": score.rand_index,
                            "variation of information (bits)": score.variation_of_information,
                            "covering": score.covering}
                           for step, score in zip(steps.steps, scores)])
             .style.format({"Rand index": "{:.3f}", "variation of information (bits)": "{:.2f}",
                            "covering": "{:.3f}"}).hide(axis="index"))
    st.caption("Rand index and covering: 1 is perfect. Variation of information: 0 is perfect; "
               f"the ground truth has {scores[0].n_truth_regions} regions.")

d = CLEAN_DEFAULTS
st.markdown(f"**The defaults** (`segmentation.postprocess.CLEAN_DEFAULTS`): minimum size "
            f"{d['min_size']} px, hole filling {'on' if d['fill'] else 'off'}, merge below "
            f"ΔE {d['merge_threshold']:g}, smoothing radius {d['smooth_radius']}. They were "
            "chosen by a grid search over the whole ground-truth set of `assets/ground_truth/` "
            "(`bench/quality.py --tune`, ranked by mean Rand index and variation of "
            "information), never on one picture; `clean(labels, image)` and Explore's switch "
            "use them.")
is_default = settings == cache.CleanSettings()
buttons = st.container(horizontal=True, key="cleanup_buttons", gap="small")
buttons.button("Back to the defaults", key="cleanup_defaults", icon=":material/restart_alt:",
               on_click=apply_settings, args=(STEP_DEFAULTS,), disabled=is_default)
buttons.download_button("Cleaned label mask (PNG)", data=lambda: encode_png(last.labels),
                        file_name=f"{image.file_stem}_k{params.k}_clean_labels.png",
                        mime="image/png", key="cleanup_download_mask", on_click="ignore",
                        icon=":material/download:")
buttons.button("Open Explore with Clean up on", key="cleanup_open_explore",
               icon=":material/palette:", on_click=open_explore_cleaned)
st.caption("The mask stores segment *i* as pixel value *i*, like Explore's. "
           + ("" if is_default else "Explore's switch uses the defaults, not the settings "
                                    "chosen here."))

try_this(f"Load **{get_sample('shapes').title}** with k = 6 and Lab colour only (position "
         "off): the noise leaves tens of thousands of connected regions where a person sees six. "
         "Which step removes most of them, and how do the Rand index and the variation of "
         "information move? Then raise the merge threshold to 60 ΔE: what merges that should "
         "not?",
         {"sample": "shapes", "k": 6, "color": "lab", "position": False,
          **STEP_DEFAULTS},
         key="cleanup_try_this", label=f"Try this on {get_sample('shapes').title}")
