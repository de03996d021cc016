"""Sections of a result page; each function renders, none computes.

Pictures come as bytes from :mod:`ui.cache`: the two shown on a first visit
(the step picture and the overlay) as JPEG at quality 92 without chroma
subsampling, a fifth of the PNG's size; the others as PNG. ``st.image`` gets
the matching ``output_format`` and an ``alt`` text that says what the picture shows
(in Streamlit 1.67 a caption never becomes the alt text). Plotly charts get
:data:`ui.figures.PLOTLY_CONFIG` (no toolbar); the first screen's charts are
SVG pictures (:mod:`ui.svg`), so no chart library is downloaded unless the
animation is asked for. Layouts use ``st.columns``,
which stack on a phone, in the order picture, controls, curve.

The first screen (:func:`first_screen`) is one ``st.fragment``: the picture,
the step control, the inertia curve and the feature space move together and
rerun alone when a student steps through the run. The half-step index is the
one source of truth (``explore_step``, see :func:`ui.cache.split_step`): step
0 is the assignment to the initial centres, then each iteration has an
*update* (centres move to the means) and an *assign* (pixels move to the
nearest centre). After any change of the parameters the page shows the last
step, the converged result.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from segmentation import Segmentation
from segmentation.postprocess import CLEAN_DEFAULTS
from segmentation.visualize import color_names

from . import cache, controls
from .controls import RunOptions, query_string
from .display import DisplaySettings
from .figures import PLOTLY_CONFIG, feature_projection
from .params import SegmentParams
from .state import DEFAULT_MAX_SIDE, WorkingImage
from .svg import inertia_svg
from .tables import statistics_frame, statistics_html

__all__ = ["CLEAN_KEY", "STEP_KEY", "OverlayOpacity", "animation_section", "clean_summary",
           "clean_switch", "first_screen", "ground_truth_section", "overlay_opacity",
           "result_images", "segments_alt", "share_link", "statistics_section", "step_label",
           "summary_metrics"]

STEP_KEY = "explore_step"  # the half-step shown: the one iteration control
CLEAN_KEY = "explore_clean"  # the "Clean up" switch of the result, bound to the URL
_STEP_RUN_KEY = "_explore_step_run"  # (digest, params) the step belongs to
_IN_FULL_RUN_KEY = "_explore_in_full_run"  # True while the whole page runs
_CONTROLS_KEY = "_explore_full_run_controls"  # the main controls' values in the last full run
_OPACITY_KEY = "_explore_opacity_holder"  # this session's OverlayOpacity
INERTIA_NOTE = ("Inertia is the sum of squared feature distances from each pixel to its "
                "centre. Its units depend on the features and weights, so it compares runs "
                "only with the same features.")


def segments_alt(result: Segmentation, iteration: int | None = None,
                 palette: str = "default") -> str:
    """Alt text listing the segments: "segment 0, orange, 31 % of the picture; ...".

    With ``iteration`` the shares are those of that iteration's labels.
    """
    names = color_names(result.k, palette)
    height, width = result.shape
    if iteration is None:  # the result's labels: its statistics have counted them
        counts = [s.pixel_count for s in result.statistics]
    else:
        counts = np.bincount(result.labels_at(iteration).ravel(), minlength=result.k)
    return "; ".join(f"segment {j}, {names[j]}, {100 * count / (height * width):.0f} % of the "
                     "picture" for j, count in enumerate(counts))


def step_label(step: int) -> str:
    """How a half-step is named on the step control.

    Examples
    --------
    >>> [step_label(step) for step in range(3)]
    ['0 · initial assign', '1 · update', '1 · assign']
    """
    iteration, after_update = cache.split_step(step)
    if iteration == 0:
        return "0 · initial assign"
    return f"{iteration} · {'update' if after_update else 'assign'}"


# --------------------------------------------------------------------------- #
# The first screen
# --------------------------------------------------------------------------- #
def first_screen(image: WorkingImage, options: RunOptions,
                 display: DisplaySettings) -> tuple[SegmentParams, Segmentation | None]:
    """Picture, step control, k and features, inertia curve and feature space.

    Returns
    -------
    (SegmentParams, Segmentation or None)
        The parameters the controls show, and their result; None when the
        settings cannot be run (a warning then says why, and the page stops).
    """
    st.session_state[_IN_FULL_RUN_KEY] = True
    try:
        return _first_screen(image, options, display)
    finally:
        st.session_state[_IN_FULL_RUN_KEY] = False


@st.fragment
def _first_screen(image: WorkingImage, options: RunOptions,
                  display: DisplaySettings) -> tuple[SegmentParams, Segmentation | None]:
    """The fragment: reruns alone when the step changes, the whole page when k or a feature does."""
    in_full_run = bool(st.session_state.get(_IN_FULL_RUN_KEY))
    if not in_full_run and controls.main_control_values() != st.session_state.get(_CONTROLS_KEY):
        # k or a feature changed: the rest of the page depends on them too. The whole
        # page reruns at once, before this fragment draws columns and controls only to
        # have them replaced (~5 ms per k step). (The picture and the run options come
        # from outside the fragment: changing them reruns the whole page anyway.)
        st.rerun()
    # Three columns: on a phone they stack as picture, controls, step and curve,
    # so the picture and k come first; on a laptop all three share the first screen.
    # In presentation mode the settings fold into a narrow column: the picture grows.
    picture_col, controls_col, step_col = st.columns([7, 2, 5] if display.present else [5, 3, 4],
                                                     gap="medium")
    with controls_col:
        if display.present:  # the projector shows the result; the settings fold away
            with st.expander("Settings: k and features"):
                params = controls.main_controls(options)
        else:
            params = controls.main_controls(options)
    run = (image.digest, params)
    if in_full_run:
        st.session_state[_CONTROLS_KEY] = controls.main_control_values()
    try:
        result = cache.segmentation(image, params)
    except cache.SETTINGS_ERRORS as err:  # no feature, or k above the image's different pixels
        with picture_col:
            st.warning(f"{err}\n\nChange the settings to continue.", icon="⚠️")
        return params, None

    _reset_step_on_new_run(run, result)
    with step_col:
        step = _step_controls(result)
    with picture_col:  # before the charts: the browser shows the picture first
        _step_picture(image, params, result, step, display)
    with step_col:
        _inertia_curve(result, step, display)
    space_col, info_col = st.columns([3, 2], gap="medium")
    with space_col:
        _feature_space(image, params, result, step, display)
    with info_col:
        _step_metrics(result, step)
    return params, result


def _reset_step_on_new_run(run: tuple, result: Segmentation) -> None:
    """After a change of image or parameters, show the last step: the result first."""
    if st.session_state.get(_STEP_RUN_KEY) != run or STEP_KEY not in st.session_state:
        st.session_state[_STEP_RUN_KEY] = run
        st.session_state[STEP_KEY] = 2 * result.n_iter


def _move_step(delta: int | None, last: int) -> None:
    """Button callback: ``delta`` half-steps on (clamped), or to the start for None."""
    if delta is None:
        st.session_state[STEP_KEY] = 0
        return
    step = int(st.session_state.get(STEP_KEY, last)) + delta
    st.session_state[STEP_KEY] = min(max(step, 0), last)


def _step_controls(result: Segmentation) -> int:
    """The step slider (keyboard: arrow keys) and the step buttons; returns the step."""
    last = 2 * result.n_iter
    if last == 0:
        st.caption("k-means stopped right after the initial assignment: there is one step.")
        return 0
    st.select_slider("Step", options=list(range(last + 1)), format_func=step_label,
                     key=STEP_KEY,
                     help="Step 0 assigns every pixel to its nearest initial centre; then each "
                          "iteration has two half-steps. Update: each centre moves to the mean "
                          "of its pixels. Assign: each pixel joins its nearest centre. Arrow "
                          "keys move one half-step.")
    with st.container(horizontal=True, key="explore_step_buttons", gap="small"):
        st.button("Start", key="explore_step_start", icon=":material/replay:",
                  on_click=_move_step, args=(None, last), help="Replay from the start.")
        st.button("Back", key="explore_step_back", icon=":material/chevron_left:",
                  on_click=_move_step, args=(-1, last), help="One half-step back.")
        st.button("Next", key="explore_step_next", icon=":material/chevron_right:",
                  on_click=_move_step, args=(1, last), type="primary",
                  help="Next half-step: update, then assign.")
        st.button("Result", key="explore_step_result", icon=":material/last_page:",
                  on_click=_move_step, args=(last, last), help="The converged result.")
    return int(st.session_state[STEP_KEY])


def _step_picture(image: WorkingImage, params: SegmentParams, result: Segmentation, step: int,
                  display: DisplaySettings) -> None:
    """The picture at ``step``, with a caption saying what that half-step did.

    On an assign step the pixels it moved are highlighted (the others
    darkened), except on the last step, which shows the result plainly.
    """
    iteration, after_update = cache.split_step(step)
    last = step == 2 * result.n_iter
    shown = iteration - 1 if after_update else iteration
    state = result.states[iteration]
    highlight = not last and not after_update and iteration > 0 and state.n_changed > 0
    if last:
        caption = (f"{image.title}: segments of the result, "
                   f"{'converged' if result.converged else 'stopped'} after {result.n_iter} "
                   "iterations."
                   + (" Before the clean-up: the cleaned-up result is under Result, below."
                      if _clean_requested() else ""))
    elif after_update:
        caption = (f"Iteration {iteration}, update: the centres moved to the mean of their "
                   "pixels; the segments change at the next assign.")
    elif iteration == 0:
        caption = "Segments after the initial assign: every pixel joined its nearest first centre."
    else:
        caption = (f"Iteration {iteration}, assign: {state.n_changed:,} pixels joined a nearer "
                   f"centre{' (bright; the others are darkened)' if highlight else ''}.")
    marked = ", pixels that changed segment bright and the others darkened" if highlight else ""
    # The last step is the result: the overlay at the animation's opacity, the very picture
    # the Result tab shows at its default opacity (drawn, encoded and sent once).
    picture = (cache.overlay_jpeg(image, params, result, cache.ANIMATION_ALPHA, display) if last
               else cache.step_jpeg(image, params, result, step, display, highlight))
    st.image(picture,
             caption=caption, output_format="JPEG", width="stretch",
             alt=f"The photo with the segments of {step_label(step)} painted over it{marked}: "
                 f"{segments_alt(result, shown, display.palette)}.")


def _clean_requested() -> bool:
    """Whether the result's "Clean up" switch (drawn below the first screen) is on, or is
    asked for by the link the page was opened with (before the switch exists)."""
    if CLEAN_KEY in st.session_state:
        return bool(st.session_state[CLEAN_KEY])
    return st.query_params.get(CLEAN_KEY) == "true"


def _inertia_curve(result: Segmentation, step: int, display: DisplaySettings) -> None:
    """The inertia curve with the step's marker, a log-axis switch and what inertia means."""
    iteration, after_update = cache.split_step(step)
    zoom = st.toggle("Zoom on the later iterations", False, key="explore_zoom_inertia",
                     help="k-means++ gets most of the way in 1-2 iterations; zoomed, the axis "
                          "fits iterations 1 onwards, so the later, smaller decreases show.")
    inertias = [state.inertia for state in result.states]
    where = (f"a dashed line between iterations {iteration - 1} and {iteration} (the update)"
             if after_update
             else f"a dot on iteration {iteration}, inertia {inertias[iteration]:.4g}")
    zoomed = ", zoomed on iterations 1 onwards" if zoom else ""
    with st.container(key="explore_inertia_chart"):
        st.image(inertia_svg(inertias, iteration, after_update=after_update, zoom=zoom,
                             large_text=display.present),
                 width="stretch",
                 alt=f"Line chart of the inertia{zoomed} over "
                     f"{result.n_iter} iterations, from {inertias[0]:.4g} down to "
                     f"{inertias[-1]:.4g}; the step shown is marked with {where}.")
    st.caption(INERTIA_NOTE)


def _feature_space(image: WorkingImage, params: SegmentParams, result: Segmentation, step: int,
                   display: DisplaySettings) -> None:
    """Pixels and centres in feature space at ``step``, with a caption saying which axes."""
    projection = feature_projection(result.feature_names)
    with st.container(key="explore_feature_space_chart"):
        st.image(cache.feature_space_svg(image, params, result, step, display), width="stretch",
                 alt=f"Scatter plot of 3,000 pixels in feature space, {projection.x_title} "
                     f"against {projection.y_title or 'nothing'}, coloured by segment, with the "
                     f"{result.k} centres as large numbered dots and the paths they took.")
    st.caption(f"Feature space at {step_label(step)}: {projection.x_title} against "
               f"{projection.y_title or 'nothing'}. {projection.reason} 3,000 fixed pixels; "
               "big dots are the centres, lines the paths they took. Same scale on both axes: "
               "a distance here is a distance k-means measures.")


def _step_metrics(result: Segmentation, step: int) -> None:
    """Inertia, centre shift and changed pixels of the iteration shown."""
    iteration, _ = cache.split_step(step)
    state = result.states[iteration]
    previous = result.states[iteration - 1] if iteration > 0 else None
    st.metric("Inertia", f"{state.inertia:.4g}",
              delta=None if previous is None else f"{state.inertia - previous.inertia:.3g}",
              delta_color="inverse", help=f"At the assign of iteration {iteration}.")
    st.metric("Centre shift", f"{state.center_shift:.3g}",
              help="Sum over centres of the squared distance each moved in this update.")
    n_pixels = state.labels.size
    st.metric("Pixels that changed segment", f"{state.n_changed:,}",
              help=f"Out of {n_pixels:,} pixels ({100 * state.n_changed / n_pixels:.1f} %).")
    if iteration == 0:
        st.caption("Iteration 0 gives every pixel its first segment, so all of them count "
                   "as changed.")
    if state.converged:
        st.success("Converged here: the centres stopped moving.")


# --------------------------------------------------------------------------- #
# Below the first screen
# --------------------------------------------------------------------------- #
def summary_metrics(result: Segmentation) -> None:
    """Total inertia, iterations, convergence and time, in one row."""
    inertia, iterations, converged, elapsed = st.columns(4)
    inertia.metric("Total inertia", f"{result.inertia:.4g}",
                   help="Sum over pixels of the squared feature distance to their centre.")
    iterations.metric("Iterations run", result.n_iter)
    converged.metric("Converged", "yes" if result.converged else "no",
                     help="No: k-means stopped at the iteration limit before settling.")
    elapsed.metric("Time", f"{result.elapsed_seconds * 1000:.0f} ms",
                   help="Feature extraction plus k-means, when it was first computed.")


def animation_section(image: WorkingImage, params: SegmentParams, result: Segmentation,
                      display: DisplaySettings) -> None:
    """The whole run as an animation that plays in the browser, built only on demand."""
    if not st.toggle("Show the animation (plays in your browser, no waiting for the server)",
                     False, key="explore_animation"):
        return
    st.caption("It opens on the result; **▶ Play** replays every iteration from the start. "
               "The step control above shows any single half-step.")
    st.plotly_chart(cache.convergence_figure(image, params, result, display.palette),
                    key="explore_convergence_chart", config=PLOTLY_CONFIG)


def clean_switch() -> bool:
    """The result's "Clean up" switch, off by default, bound to the URL as ``explore_clean``."""
    d = CLEAN_DEFAULTS
    return st.toggle("Clean up the segments", False, key=CLEAN_KEY, bind="query-params",
                     help=f"segmentation.postprocess.clean with its defaults: regions under "
                          f"{d['min_size']} pixels join their neighbour, neighbours whose mean "
                          f"colours differ by less than ΔE {d['merge_threshold']:g} merge, "
                          f"borders are smoothed (radius {d['smooth_radius']}). The defaults "
                          "were tuned on the ground-truth set; the Clean-up page shows each "
                          "step.")


def clean_summary(image: WorkingImage, params: SegmentParams) -> None:
    """What the switched-on clean-up changed: connected regions and pixels moved."""
    counts = cache.clean_counts(image, params)
    regions, moved, note = st.columns([1, 1, 2], gap="medium")
    regions.metric("Connected regions", f"{counts.regions_after:,}",
                   delta=f"{counts.regions_after - counts.regions_before:,} by the clean-up",
                   delta_color="inverse",
                   help=f"k-means alone: {counts.regions_before:,} connected regions (pieces "
                        "of one segment joined up, down, left or right).")
    moved.metric("Pixels moved", f"{counts.pixels_moved:,}",
                 help=f"Pixels the clean-up gave to another segment: "
                      f"{100 * counts.pixels_moved / counts.n_pixels:.1f} % of the picture.")
    note.caption("The pictures, statistics and downloads below show the **cleaned-up** "
                 "segments; the step control and the animation above show k-means itself, "
                 "before the clean-up.")
    note.page_link("app_pages/cleanup.py", label="See each clean-up step",
                   icon=":material/cleaning_services:")


class OverlayOpacity:
    """The overlay opacity a student last chose, read when a download is built.

    :func:`result_images` is a fragment: moving the opacity slider reruns only
    the pictures, not the download buttons further down. The overlay download
    therefore asks this holder (one per session, in Session State) at the
    moment of the click, not the value the buttons were drawn with.
    """

    def __init__(self) -> None:
        self.alpha = cache.DEFAULT_ALPHA

    def __call__(self) -> float:
        return self.alpha


def overlay_opacity() -> OverlayOpacity:
    """This session's :class:`OverlayOpacity` (created on first use)."""
    if not isinstance(st.session_state.get(_OPACITY_KEY), OverlayOpacity):
        st.session_state[_OPACITY_KEY] = OverlayOpacity()
    return st.session_state[_OPACITY_KEY]


@st.fragment
def result_images(image: WorkingImage, params: SegmentParams, result: Segmentation,
                  display: DisplaySettings = DisplaySettings(), *,
                  cleaned: bool = False) -> None:
    """The result as overlay, boundaries, mean colours or the original: one tab at a time.

    A fragment: the opacity slider and the tabs rerun these pictures alone
    (a tenth of a whole page's server time; a class moves them often). Tabs
    are lazy (``on_change="rerun"``): only the open tab's picture is built and
    sent, so a change of k repaints one picture here, not four. With
    ``cleaned``, ``result`` is :func:`ui.cache.cleaned_segmentation`'s and its
    pictures are cached apart from the k-means ones. The opacity chosen goes to
    :func:`overlay_opacity`, for the overlay download.
    """
    height, width = result.shape
    key = cache.cleaned_key(params) if cleaned else params  # the pictures' cache key
    what = "cleaned-up segments" if cleaned else "segments"
    overlay_tab, edges_tab, means_tab, original_tab = st.tabs(
        ["Overlay", "Boundaries", "Mean colours", "Original"], key="explore_result_tabs",
        on_change="rerun")
    if overlay_tab.open:
        with overlay_tab:
            alpha = st.slider("Overlay opacity", 0.0, 1.0, cache.DEFAULT_ALPHA, 0.05,
                              key="explore_opacity",
                              help="0 shows the photo, 1 the flat segment colours.")
            overlay_opacity().alpha = alpha  # a closed tab keeps the last value
            st.image(cache.overlay_jpeg(image, key, result, alpha, display),
                     caption=f"{what.capitalize()} at {alpha:.0%} opacity", output_format="JPEG",
                     alt=f"The photo with its {result.k} {what} painted over it at "
                         f"{alpha:.0%} opacity: {segments_alt(result, palette=display.palette)}.")
    if edges_tab.open:
        edges_tab.image(cache.boundaries_png(image, key, result),
                        caption=f"Boundaries of the {what}",
                        output_format="PNG",
                        alt=f"The photo with the edges between its {result.k} segments drawn in "
                            "yellow.")
    if means_tab.open:
        means_tab.image(cache.mean_color_png(image, key, result),
                        caption=f"Each of the {what} painted with its mean colour",
                        output_format="PNG",
                        alt=f"The picture posterised to {result.k} colours, each segment painted "
                            "with the mean colour of its pixels: "
                            + "; ".join(f"segment {s.label}, {s.hex_color}"
                                        for s in result.statistics) + ".")
    if original_tab.open:
        original_tab.image(cache.photo_png(image), caption="Original", output_format="PNG",
                           alt=f"The photo {image.title}, {width} x {height} pixels.")


def ground_truth_section(image: WorkingImage, params: SegmentParams, result: Segmentation,
                         display: DisplaySettings = DisplaySettings(), *,
                         cleaned: bool = False) -> None:
    """For synthetic samples: the exact answer beside the result, and the scores.

    With ``cleaned``, ``result`` is the cleaned-up one (see :func:`result_images`).
    """
    key = cache.cleaned_key(params) if cleaned else params
    scores = cache.truth_scores(image, key, result)
    if scores is None:
        return
    st.subheader("Against the ground truth")
    truth, numbers = st.columns(2)
    n_regions = len(set(match.truth_label for match in scores.matching))
    truth.image(cache.truth_png(image, key, result, display.palette),
                caption="Ground truth, each region in the colour of its best-matching segment",
                output_format="PNG",
                alt=f"The exact regions of the synthetic picture, {n_regions} of them matched to "
                    "a segment and painted in its colour; unmatched regions pale grey.")
    numbers.metric("Mean best IoU", f"{scores.mean_best_iou:.3f}",
                   help="For each true region, the overlap (intersection over union) with its "
                        "matched segment, averaged: 1 is perfect.")
    numbers.metric("Adjusted Rand index", f"{scores.adjusted_rand:.3f}",
                   help="Agreement on which pixel pairs belong together: 1 perfect, 0 chance.")
    numbers.metric("Variation of information", f"{scores.variation_of_information:.3f} bits",
                   help=f"0 is perfect. Split {scores.vi_split:.3f} bits (true regions cut "
                        f"apart), merge {scores.vi_merge:.3f} bits (regions merged).")


def statistics_section(result: Segmentation, palette: str = "default") -> None:
    """One table row per segment: static HTML (no data-grid or Arrow bundle to download)."""
    st.subheader("Segments")
    with st.container(key="explore_statistics"):
        st.markdown(_statistics_table(tuple(result.statistics), palette), unsafe_allow_html=True)
    st.caption("colour: the segment's colour in the pictures; mean colour: the mean of its "
               "pixels in the photo; compactness: mean feature distance of its pixels to its "
               "centre (lower is tighter).")
    emptied = [s.label for s in result.statistics if s.pixel_count == 0]
    if emptied:
        st.caption(f"Segment{'s' if len(emptied) > 1 else ''} "
                   f"{', '.join(map(str, emptied))} ha{'ve' if len(emptied) > 1 else 's'} no "
                   "pixels left: the clean-up merged "
                   f"{'their' if len(emptied) > 1 else 'its'} regions into neighbouring "
                   "segments.")


@functools.lru_cache(maxsize=256)
def _statistics_table(statistics: tuple, palette: str) -> str:
    """The statistics table's HTML, built once per result and palette (not at every rerun:
    a DataFrame and its HTML cost 5-8 ms). ``SegmentStats`` are frozen, hence the key."""
    return statistics_html(statistics_frame(statistics, palette), palette)


def share_link(image: WorkingImage, params: SegmentParams, *, cleaned: bool = False) -> None:
    """The link that reopens this result (with the clean-up switched on if ``cleaned``)."""
    st.subheader("Share these settings")
    query = query_string(params, sample_key=image.sample_key, max_side=image.max_side,
                         default_max_side=DEFAULT_MAX_SIDE)
    if cleaned:  # the switch's own query parameter, as its binding writes it
        query += f"{'&' if query else '?'}{CLEAN_KEY}=true"
    link = f"{st.context.url or ''}{query}"
    st.markdown(f"[{link}]({link})", help="Right-click to copy. The address bar always holds "
                                          "the current settings too.")
    if image.sample_key is None:
        st.caption("A link cannot carry your picture: it restores the settings, and whoever "
                   "opens it sees a sample until they upload the same picture.")
