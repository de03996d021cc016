"""Sections of a result page; each function renders, none computes.

Pictures come as PNG bytes from :mod:`ui.cache` (exact colours; JPEG would
smear the segment edges) and are passed to ``st.image`` with
``output_format="PNG"`` and an ``alt`` text that says what the picture shows
(in Streamlit 1.67 a caption never becomes the alt text). Plotly charts get
:data:`ui.figures.PLOTLY_CONFIG` (no toolbar). Layouts use ``st.columns``,
which stack on a phone.
"""

from __future__ import annotations

import streamlit as st

from segmentation import Segmentation, extract_features
from segmentation.visualize import color_names

from . import cache
from .controls import query_string
from .figures import PLOTLY_CONFIG, feature_projection, feature_space_figure
from .params import SegmentParams
from .state import DEFAULT_MAX_SIDE, WorkingImage
from .tables import statistics_frame, statistics_styler

__all__ = ["convergence_section", "feature_space_chart", "result_images", "segments_alt",
           "share_link", "statistics_section", "step_scrubber", "summary_metrics"]


def segments_alt(result: Segmentation, iteration: int | None = None,
                 palette: str = "default") -> str:
    """Alt text listing the segments: "segment 0, orange, 31 % of the picture; ...".

    With ``iteration`` the shares are those of that iteration's labels.
    """
    names = color_names(result.k, palette)
    labels = result.labels if iteration is None else result.labels_at(iteration)
    counts = [int((labels == j).sum()) for j in range(result.k)]
    return "; ".join(f"segment {j}, {names[j]}, {100 * count / labels.size:.0f} % of the picture"
                     for j, count in enumerate(counts))


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


def convergence_section(image: WorkingImage, params: SegmentParams,
                        result: Segmentation) -> None:
    """The Plotly animation: press Play to watch k-means converge."""
    st.subheader("Watch k-means converge")
    st.caption("Press **▶ Play**, or drag the slider. Each iteration assigns every pixel to "
               "its nearest centre, then moves each centre to the mean of its pixels; "
               "the inertia can only go down.")
    figure = cache.convergence_figure(image, params, result)
    st.plotly_chart(figure, key="convergence_chart", config=PLOTLY_CONFIG)


def feature_space_chart(image: WorkingImage, result: Segmentation, iteration: int,
                        key: str = "feature_space_chart") -> None:
    """Pixels and centres in feature space at ``iteration``, with a caption saying which axes.

    Not cached yet: extracting the features and building the figure take
    ~0.2 s at 512 x 512 (a ``ui.cache`` entry keyed on digest + params would
    make it free).
    """
    features = extract_features(image.image, result.spec)
    figure = feature_space_figure(features.values, features.names, result.states,
                                  iteration=iteration)
    st.plotly_chart(figure, key=key, config=PLOTLY_CONFIG)
    projection = feature_projection(features.names)
    st.caption(f"Feature space: {projection.x_title} against {projection.y_title or 'nothing'}. "
               f"{projection.reason} 3,000 fixed pixels; big dots are the centres, lines the "
               "paths they took.")


@st.fragment
def step_scrubber(image: WorkingImage, params: SegmentParams, result: Segmentation,
                  alpha: float) -> None:
    """The exact state of one iteration; only this fragment reruns as the slider moves."""
    st.subheader("Step through the iterations")
    n_iter = result.n_iter
    if n_iter == 0:
        st.caption("k-means stopped right after the initial assignment.")
        iteration = 0
    else:
        # The slider's range changes with the run: keep its value inside it.
        if st.session_state.get("scrub_iteration", 0) > n_iter:
            st.session_state["scrub_iteration"] = n_iter
        iteration = st.slider("Iteration", 0, n_iter, key="scrub_iteration",
                              help="0 is the assignment to the initial centres.")
    state = result.states[iteration]
    picture, space = st.columns(2)
    with picture:
        st.image(cache.iteration_overlay_png(image, params, result, iteration, alpha),
                 caption=f"Segments after iteration {iteration}", output_format="PNG",
                 alt=f"The photo with the segments of iteration {iteration} painted over it: "
                     f"{segments_alt(result, iteration)}.")
    with space:
        feature_space_chart(image, result, iteration)
    inertia, shift, changed = st.columns(3)
    previous = result.states[iteration - 1] if iteration > 0 else None
    inertia.metric("Inertia", f"{state.inertia:.4g}",
                   delta=None if previous is None else f"{state.inertia - previous.inertia:.3g}",
                   delta_color="inverse")
    shift.metric("Centre shift", f"{state.center_shift:.3g}",
                 help="Sum over centres of the squared distance each moved in this step.")
    n_pixels = state.labels.size
    changed.metric("Pixels that changed segment", f"{state.n_changed:,}",
                   help=f"Out of {n_pixels:,} pixels ({100 * state.n_changed / n_pixels:.1f} %).")
    if iteration == 0:
        st.caption("Iteration 0 gives every pixel its first segment, so all of them count "
                   "as changed.")
    if state.converged:
        st.success("Converged here: the centres stopped moving.")


def result_images(image: WorkingImage, params: SegmentParams, result: Segmentation,
                  alpha: float) -> None:
    """Original | overlay, then boundaries | mean colours."""
    height, width = result.shape
    original, overlaid = st.columns(2)
    original.image(cache.photo_png(image), caption="Original", output_format="PNG",
                   alt=f"The photo {image.title}, {width} x {height} pixels.")
    overlaid.image(cache.overlay_png(image, params, result, alpha),
                   caption=f"Segments at {alpha:.0%} opacity", output_format="PNG",
                   alt=f"The photo with its {result.k} segments painted over it at {alpha:.0%} "
                       f"opacity: {segments_alt(result)}.")
    edges, means = st.columns(2)
    edges.image(cache.boundaries_png(image, params, result), caption="Segment boundaries",
                output_format="PNG",
                alt=f"The photo with the edges between its {result.k} segments drawn in yellow.")
    means.image(cache.mean_color_png(image, params, result),
                caption="Each segment painted with its mean colour", output_format="PNG",
                alt=f"The picture posterised to {result.k} colours, each segment painted with "
                    "the mean colour of its pixels: "
                    + "; ".join(f"segment {s.label}, {s.hex_color}" for s in result.statistics)
                    + ".")


def statistics_section(result: Segmentation) -> None:
    """One table row per segment."""
    st.subheader("Segments")
    frame = statistics_frame(result.statistics)
    st.dataframe(
        statistics_styler(frame), hide_index=True, key="statistics_table",
        column_config={
            "colour": st.column_config.TextColumn("colour", help="Colour in the overlay",
                                                  width="small"),
            "segment": st.column_config.NumberColumn("segment", format="%d"),
            "pixels": st.column_config.NumberColumn("pixels", format="%d"),
            "percent": st.column_config.ProgressColumn("share of image", format="%.1f %%",
                                                       min_value=0, max_value=100),
            "compactness": st.column_config.NumberColumn(
                "compactness", format="%.4f",
                help="Mean feature distance of its pixels to its centre: lower is tighter."),
            "mean colour": st.column_config.TextColumn(
                "mean colour", help="Mean colour of its pixels in the photo (hex RGB)"),
            "centroid row": st.column_config.NumberColumn("centroid row", format="%.1f"),
            "centroid col": st.column_config.NumberColumn("centroid col", format="%.1f"),
        },
    )


def share_link(image: WorkingImage, params: SegmentParams) -> None:
    """The link that reopens this result, with a copy button."""
    st.subheader("Share these settings")
    query = query_string(params, sample_key=image.sample_key, max_side=image.max_side,
                         default_max_side=DEFAULT_MAX_SIDE)
    base = st.context.url or ""
    st.code(f"{base}{query}", language=None, wrap_lines=True)
    if image.sample_key is None:
        st.caption("A link cannot carry your picture: it restores the settings, and whoever "
                   "opens it sees a sample until they upload the same picture.")
    else:
        st.caption("Copy it with the button on the right of the box, or copy the address "
                   "bar: it always holds the current settings.")
