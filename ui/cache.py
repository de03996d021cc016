"""The app's one caching layer: every page computes through these functions.

What is keyed on what
---------------------
========================  ==================================================
function                  cache key
========================  ==================================================
``sample_image``          sample key, max_side
``uploaded_image``        SHA-256 of the file's bytes, max_side
``segmentation``          image digest, SegmentParams
``photo_png``             image digest
``overlay_png``           image digest, SegmentParams, alpha, DisplaySettings
``iteration_overlay_png`` image digest, SegmentParams, iteration, alpha, DisplaySettings
``step_png``,             image digest, SegmentParams, half-step, highlight,
``step_jpeg``             DisplaySettings, format
``overlay_jpeg``          as ``overlay_png``, format
``feature_space_svg``     image digest, SegmentParams, half-step, palette, text size
                          (the features themselves: digest, SegmentParams)
``truth_scores``,         image digest, SegmentParams (sample key)
``truth_png``
``boundaries_png``,       image digest, SegmentParams
``mean_color_png``,
``label_mask_png``
``convergence_figure``    image digest, SegmentParams, palette (fixed ANIMATION_ALPHA)
``convergence_gif``       image digest, SegmentParams (fixed ANIMATION_ALPHA)
========================  ==================================================

The image digest is the SHA-256 of the working pixels (:func:`ui.state.image_digest`),
computed once when the image is loaded and carried in its ``WorkingImage``.

So moving one control recomputes only what depends on it: the opacity
slider re-blends one overlay but never reruns k-means; changing k reruns
k-means but never re-decodes the image.

Why ``st.cache_resource`` with digests
--------------------------------------
``st.cache_data`` would hash its array arguments on every call (and, for big
arrays, only a sample of them), and would pickle a copy of the result for
every caller. Instead, each function takes a short string digest plus small
hashable parameters as its key, and receives the arrays as ``_``-prefixed
arguments, which Streamlit does not hash. The results are immutable (frozen
dataclasses, read-only arrays, bytes, and figures nobody mutates after
building), so ``st.cache_resource`` can hand the same object to every
session without copying. ``max_entries`` and ``ttl`` bound the memory, since
some thirty students share one server.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from segmentation import (
    FeatureMatrix,
    ImageLoadError,
    LoadedImage,
    NoFeatureSelectedError,
    Segmentation,
    TooFewDistinctPointsError,
    encode_png,
    extract_features,
    load_image,
    segment,
)
from segmentation import visualize
from segmentation.metrics import GroundTruthScores, compare_to_ground_truth
from segmentation.samples import get_sample, load_ground_truth, load_sample

from . import figures, svg
from .display import DisplaySettings
from .params import SegmentParams
from .state import WorkingImage, image_digest

__all__ = [
    "ANIMATION_ALPHA",
    "DEFAULT_ALPHA",
    "encode_jpeg",
    "overlay_jpeg",
    "step_jpeg",
    "SETTINGS_ERRORS",
    "UploadResult",
    "boundaries_png",
    "bytes_digest",
    "convergence_figure",
    "convergence_gif",
    "feature_space_svg",
    "ground_truth",
    "iteration_overlay_png",
    "label_mask_png",
    "mean_color_png",
    "overlay_png",
    "photo_png",
    "sample_image",
    "segmentation",
    "split_step",
    "step_png",
    "truth_png",
    "truth_scores",
    "uploaded_image",
]

# Bounds shared by the caches of one kind; a ttl frees what nobody looked at lately.
_IMAGES = {"max_entries": 48, "ttl": 2 * 3600}
# A result keeps every iteration's labels: ~0.26 MB each at 512 x 512, so a
# typical 20-iteration run is ~5 MB; 32 of them stay well under a gigabyte.
_RESULTS = {"max_entries": 32, "ttl": 3600}
_RENDERS = {"max_entries": 128, "ttl": 3600}
_FIGURES = {"max_entries": 24, "ttl": 3600}  # a figure is 0.5-3 MB
# The overlay opacity a page starts from (the command line's --alpha default too).
DEFAULT_ALPHA = 0.5
# Opacity of the segment colours in the animation and the GIF. Fixed, so that
# moving the overlay-opacity slider never rebuilds a whole animation.
ANIMATION_ALPHA = 0.55
# The errors of a segmentation that a student fixes by changing the settings,
# and the only ones a page may show as such advice: no feature selected, or k
# above the number of different pixels (segment() raises TooFewDistinctPixelsError,
# a subclass). Anything else is a bug and must surface as one.
SETTINGS_ERRORS = (NoFeatureSelectedError, TooFewDistinctPointsError)


def bytes_digest(data: bytes) -> str:
    """SHA-256 of an uploaded file's bytes, the key of its decoded image."""
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- #
# Images
# --------------------------------------------------------------------------- #
@st.cache_resource(show_spinner="Loading the sample...", **_IMAGES)
def sample_image(key: str, max_side: int) -> WorkingImage:
    """A gallery sample at working resolution.

    Raises
    ------
    ValueError
        If ``key`` is not a sample.
    """
    sample = get_sample(key)
    original = load_sample(key)  # (H, W, 3) uint8
    image = visualize.downscale_image(original, max_side)
    image = np.array(image, dtype=np.uint8, copy=True)
    image.flags.writeable = False  # shared by every session
    return WorkingImage(source="sample", name=key, title=sample.title, digest=image_digest(image),
                        image=image, original_size=original.shape[:2], max_side=max_side)


@dataclass(frozen=True)
class UploadResult:
    """What decoding an upload gave: an image, or a message for the user."""

    image: WorkingImage | None  # None when the file could not be read
    error: str | None  # the ImageLoadError message, for st.error; None on success


@st.cache_resource(show_spinner="Reading your picture...", **_IMAGES)
def _decode_upload(file_digest: str, max_side: int, _data: bytes) -> LoadedImage | str:
    """The decoded file, or the error message. Failures are cached too, so a
    bad file is not parsed again on every rerun while it stays selected."""
    try:
        return load_image(_data, max_side=max_side)
    except ImageLoadError as err:
        return str(err)


def uploaded_image(data: bytes, *, name: str, source: str, max_side: int) -> UploadResult:
    """Decode an uploaded or camera picture (in memory only) at working resolution.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        File name shown to the user and used for download names.
    source : {"upload", "camera"}
        Where it came from.
    max_side : int
        Working-resolution limit.

    Returns
    -------
    UploadResult
        ``image`` set on success; ``error`` holds a plain-language message if
        the file is not a readable image (see :class:`segmentation.ImageLoadError`).
    """
    loaded = _decode_upload(bytes_digest(data), max_side, data)
    if isinstance(loaded, str):
        return UploadResult(None, loaded)
    image = loaded.image  # read-only (H, W, 3) uint8
    return UploadResult(WorkingImage(source=source, name=name, title=name,
                                     digest=image_digest(image), image=image,
                                     original_size=loaded.info.original_size,
                                     max_side=max_side), None)


# --------------------------------------------------------------------------- #
# k-means
# --------------------------------------------------------------------------- #
@st.cache_resource(show_spinner="Running k-means...", **_RESULTS)
def _segment(digest: str, params: SegmentParams, _image: np.ndarray) -> Segmentation:
    return segment(_image, **params.segment_kwargs())


def segmentation(image: WorkingImage, params: SegmentParams) -> Segmentation:
    """Segment the working image with ``params`` (cached on digest + params).

    Raises
    ------
    NoFeatureSelectedError
        If no feature is selected (checked before any work).
    TooFewDistinctPointsError
        If ``k`` is larger than the number of different pixels of the image.
        Both are in :data:`SETTINGS_ERRORS`; their messages are written for
        the user. Failures are not cached.
    """
    params.spec()  # raises NoFeatureSelectedError, not FeatureSpec's general ValueError
    return _segment(image.digest, params, image.image)


# --------------------------------------------------------------------------- #
# Pictures (PNG bytes: exact colours, never JPEG, for masks and overlays)
# --------------------------------------------------------------------------- #
@st.cache_resource(show_spinner=False, **_RENDERS)
def _photo_png(digest: str, _image: np.ndarray) -> bytes:
    return encode_png(_image)


def photo_png(image: WorkingImage) -> bytes:
    """The working image itself as PNG."""
    return _photo_png(image.digest, image.image)


def encode_jpeg(picture: np.ndarray) -> bytes:
    """A picture to look at (not to measure) as JPEG: quality 92, no chroma subsampling.

    Four to six times smaller than PNG for a photo with segments over it, and
    faster to encode; segment edges stay sharp at this quality. Downloads and
    masks stay PNG, exact.
    """
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(picture)).save(buffer, format="JPEG", quality=92,
                                                        subsampling=0)
    return buffer.getvalue()


@st.cache_resource(show_spinner=False, **_RENDERS)
def _overlay_png(digest: str, params: SegmentParams, alpha: float, iteration: int | None,
                 display: DisplaySettings, _image: np.ndarray, _result: Segmentation,
                 jpeg: bool = False) -> bytes:
    labels = _result.labels if iteration is None else _result.labels_at(iteration)
    colors = visualize.segment_colors(_result.k, display.palette)  # same whatever the iteration
    picture = visualize.overlay(_image, labels, alpha, colors=colors)
    if display.numbers:
        picture = visualize.draw_segment_numbers(picture, labels)
    return encode_jpeg(picture) if jpeg else encode_png(picture)


def overlay_jpeg(image: WorkingImage, params: SegmentParams, result: Segmentation,
                 alpha: float, display: DisplaySettings = DisplaySettings()) -> bytes:
    """Final segments blended over the photo, as JPEG, for the screen (:func:`encode_jpeg`)."""
    return _overlay_png(image.digest, params, round(float(alpha), 3), None, display,
                        image.image, result, jpeg=True)


def overlay_png(image: WorkingImage, params: SegmentParams, result: Segmentation,
                alpha: float, display: DisplaySettings = DisplaySettings()) -> bytes:
    """Final segments blended over the photo with opacity ``alpha``, as PNG."""
    return _overlay_png(image.digest, params, round(float(alpha), 3), None, display,
                        image.image, result)


def iteration_overlay_png(image: WorkingImage, params: SegmentParams, result: Segmentation,
                          iteration: int, alpha: float,
                          display: DisplaySettings = DisplaySettings()) -> bytes:
    """Segments of one iteration blended over the photo, as PNG."""
    return _overlay_png(image.digest, params, round(float(alpha), 3), int(iteration), display,
                        image.image, result)


@st.cache_resource(show_spinner=False, **_RENDERS)
def _step_png(digest: str, params: SegmentParams, step: int, highlight: bool,
              display: DisplaySettings, _image: np.ndarray, _result: Segmentation,
              jpeg: bool = False) -> bytes:
    iteration, after_update = split_step(step)
    labels = _result.labels_at(iteration - 1 if after_update else iteration)  # (H, W)
    colors = visualize.segment_colors(_result.k, display.palette)
    picture = visualize.overlay(_image, labels, ANIMATION_ALPHA, colors=colors)  # (H, W, 3)
    if highlight and not after_update and iteration > 0:
        changed = labels != _result.labels_at(iteration - 1)  # (H, W) bool: moved by this assign
        if changed.any():
            picture = visualize.highlight_pixels(picture, changed)
    if display.numbers:
        picture = visualize.draw_segment_numbers(picture, labels)
    return encode_jpeg(picture) if jpeg else encode_png(picture)


def step_jpeg(image: WorkingImage, params: SegmentParams, result: Segmentation, step: int,
              display: DisplaySettings = DisplaySettings(), highlight: bool = False) -> bytes:
    """:func:`step_png` as JPEG, for the screen (:func:`encode_jpeg`)."""
    return _step_png(image.digest, params, int(step), bool(highlight), display, image.image,
                     result, jpeg=True)


def step_png(image: WorkingImage, params: SegmentParams, result: Segmentation, step: int,
             display: DisplaySettings = DisplaySettings(), highlight: bool = False) -> bytes:
    """The picture at one half-step (:func:`split_step`), as PNG.

    After an *update* the pixels keep the segments of the previous assign;
    after an *assign* with ``highlight``, the pixels that changed segment
    in it keep their colours and the others are darkened.
    """
    return _step_png(image.digest, params, int(step), bool(highlight), display, image.image,
                     result)


def split_step(step: int) -> tuple[int, bool]:
    """Half-step index -> (iteration, after_update).

    Step 0 is the assignment to the initial centres; then every iteration
    *i* has two half-steps: ``2i - 1`` its update (centres move to the means),
    ``2i`` its assign (pixels move to the nearest centre).

    Examples
    --------
    >>> [split_step(step) for step in range(4)]
    [(0, False), (1, True), (1, False), (2, True)]
    """
    step = int(step)
    return (step + 1) // 2, step % 2 == 1


@st.cache_resource(show_spinner=False, **_RENDERS)
def _boundaries_png(digest: str, params: SegmentParams, _image: np.ndarray,
                    _result: Segmentation) -> bytes:
    return encode_png(visualize.boundaries(_image, _result.labels))


def boundaries_png(image: WorkingImage, params: SegmentParams, result: Segmentation) -> bytes:
    """Segment edges drawn in yellow on the photo, as PNG."""
    return _boundaries_png(image.digest, params, image.image, result)


@st.cache_resource(show_spinner=False, **_RENDERS)
def _mean_color_png(digest: str, params: SegmentParams, _image: np.ndarray,
                    _result: Segmentation) -> bytes:
    return encode_png(visualize.mean_color_image(_image, _result.labels))


def mean_color_png(image: WorkingImage, params: SegmentParams, result: Segmentation) -> bytes:
    """Every segment painted with its mean colour, as PNG."""
    return _mean_color_png(image.digest, params, image.image, result)


@st.cache_resource(show_spinner=False, **_RENDERS)
def _label_mask_png(digest: str, params: SegmentParams, _result: Segmentation) -> bytes:
    return encode_png(_result.labels)


def label_mask_png(image: WorkingImage, params: SegmentParams, result: Segmentation) -> bytes:
    """The label image as 8-bit grayscale PNG: pixel value = segment index."""
    return _label_mask_png(image.digest, params, result)


# --------------------------------------------------------------------------- #
# Animations
# --------------------------------------------------------------------------- #
def _label_frames(result: Segmentation) -> list[np.ndarray]:
    """Labels (H, W) of every iteration, 0 to n_iter."""
    return [result.labels_at(i) for i in range(result.n_iter + 1)]


@st.cache_resource(show_spinner="Building the animation...", **_FIGURES)
def _convergence_figure(digest: str, params: SegmentParams, palette: str, _image: np.ndarray,
                        _result: Segmentation) -> go.Figure:
    return figures.convergence_figure(_image, _label_frames(_result),
                                      [state.inertia for state in _result.states],
                                      alpha=ANIMATION_ALPHA,
                                      colors=visualize.segment_colors(_result.k, palette),
                                      initial=_result.n_iter, slider=False)


def convergence_figure(image: WorkingImage, params: SegmentParams, result: Segmentation,
                       palette: str = "default") -> go.Figure:
    """The Plotly convergence animation (shared object: do not modify it).

    It opens on the converged result; its Play button replays every
    iteration from 0 in the browser. It has no slider of its own: the page's
    step control is the one iteration control.
    """
    return _convergence_figure(image.digest, params, palette, image.image, result)


# --------------------------------------------------------------------------- #
# Feature space and ground truth
# --------------------------------------------------------------------------- #
@st.cache_resource(show_spinner=False, max_entries=8, ttl=3600)
def _features(digest: str, spec_key: SegmentParams, _image: np.ndarray,
              _result: Segmentation) -> FeatureMatrix:
    return extract_features(_image, _result.spec)  # (H*W, d) float32: ~5 MB at 512 px


@st.cache_resource(show_spinner=False, max_entries=256, ttl=3600)
def _feature_space_svg(digest: str, params: SegmentParams, step: int, palette: str,
                       large_text: bool, _image: np.ndarray, _result: Segmentation) -> str:
    features = _features(digest, params, _image, _result)
    iteration, after_update = split_step(step)
    return svg.feature_space_svg(features.values, features.names, _result.states, iteration,
                                 after_update=after_update, large_text=large_text,
                                 colors=visualize.segment_colors(_result.k, palette))


def feature_space_svg(image: WorkingImage, params: SegmentParams, result: Segmentation,
                      step: int, display: DisplaySettings = DisplaySettings()) -> str:
    """Pixels and centres in feature space at one half-step, as an SVG document.

    The features are extracted once per image and parameters; each step's
    picture (3,000 points) is drawn once and cached.
    """
    return _feature_space_svg(image.digest, params, int(step), display.palette,
                              display.present, image.image, result)


@st.cache_resource(show_spinner=False, **_IMAGES)
def _ground_truth(key: str, shape: tuple[int, int]) -> np.ndarray | None:
    truth = load_ground_truth(key)  # (H0, W0) int64 at the sample's own size
    if truth is None:
        return None
    truth = visualize.resize_labels(truth, shape)  # nearest neighbour: no invented labels
    truth.flags.writeable = False
    return truth


def ground_truth(image: WorkingImage) -> np.ndarray | None:
    """The sample's exact ground truth at working resolution, or None (photos, uploads)."""
    if image.sample_key is None:
        return None
    return _ground_truth(image.sample_key, image.size)


@st.cache_resource(show_spinner=False, **_RENDERS)
def _truth_scores(digest: str, params: SegmentParams, key: str, _truth: np.ndarray,
                  _result: Segmentation) -> GroundTruthScores:
    return compare_to_ground_truth(_result.labels, _truth)


def truth_scores(image: WorkingImage, params: SegmentParams,
                 result: Segmentation) -> GroundTruthScores | None:
    """How the result scores against the sample's ground truth; None without one."""
    truth = ground_truth(image)
    if truth is None:
        return None
    return _truth_scores(image.digest, params, image.sample_key, truth, result)


@st.cache_resource(show_spinner=False, **_RENDERS)
def _truth_png(digest: str, params: SegmentParams, palette: str, _truth: np.ndarray,
               _scores: GroundTruthScores, k: int) -> bytes:
    # Each true region in the colour of the segment matched to it, so the two
    # pictures compare at a glance; unmatched regions pale grey.
    colors = visualize.segment_colors(k, palette)
    n_truth = int(_truth.max()) + 1
    region_colors = np.full((n_truth, 3), 221, dtype=np.uint8)  # (n_truth, 3)
    for match in _scores.matching:
        region_colors[match.truth_label] = colors[match.predicted_label % k]
    return encode_png(region_colors[_truth])


def truth_png(image: WorkingImage, params: SegmentParams, result: Segmentation,
              palette: str = "default") -> bytes | None:
    """The ground truth painted in the colours of the matched segments, as PNG."""
    scores = truth_scores(image, params, result)
    if scores is None:
        return None
    return _truth_png(image.digest, params, palette, ground_truth(image), scores, result.k)


@st.cache_resource(show_spinner=False, **_FIGURES)
def _convergence_gif(digest: str, params: SegmentParams, _image: np.ndarray,
                     _result: Segmentation) -> bytes:
    return visualize.convergence_gif(_image, _label_frames(_result), alpha=ANIMATION_ALPHA)


def convergence_gif(image: WorkingImage, params: SegmentParams, result: Segmentation) -> bytes:
    """The convergence as a looping GIF, for slides (built on first download)."""
    return _convergence_gif(image.digest, params, image.image, result)


# --- Teaching pages I ---
# Choosing k, Side by side, What the start does (app_pages/choosing_k.py,
# compare.py, starts.py). They run k-means many times, so they work on the
# image shrunk to segmentation.choosing_k.WORKING_MAX_SIDE (160 px), and key
# everything on the image digest + the parameters that matter: one student's
# computation serves the whole class. `_progress` callbacks (not hashed) feed
# the page's progress bar while a result is computed for the first time.
from segmentation.choosing_k import ElbowCurve, elbow_curve, working_image  # noqa: E402
from segmentation.comparison import disagreement  # noqa: E402
from segmentation.kmeans import KMeansState, kmeans  # noqa: E402
from segmentation.stability import (  # noqa: E402
    KMeansPlusPlusSteps,
    PerturbationStability,
    StartComparison,
    compare_starts,
    kmeanspp_steps,
    stability_to_perturbations,
)

from . import teaching_figures  # noqa: E402

_TEACHING = {"max_entries": 64, "ttl": 3600}  # small results: 160 px label images
ELBOW_MAX_K = 12  # the elbow curve tries k = 2..12 (the app's k range)


def feature_key(params: SegmentParams) -> SegmentParams:
    """The parameters with only the features (and seed) kept: the key of the feature matrix
    and of the elbow curve, which do not depend on k, init or the stopping rules."""
    return SegmentParams(k=1, color=params.color, texture=params.texture,
                         position_weight=params.position_weight,
                         center_weight=params.center_weight, seed=params.seed)


@st.cache_resource(show_spinner=False, **_IMAGES)
def _teaching_image(digest: str, _image: np.ndarray) -> np.ndarray:
    small = np.array(working_image(_image), dtype=np.uint8, copy=True)
    small.flags.writeable = False
    return small


def teaching_image(image: WorkingImage) -> np.ndarray:
    """The working image shrunk to the teaching pages' size, (h, w, 3) uint8, read-only."""
    return _teaching_image(image.digest, image.image)


@st.cache_resource(show_spinner=False, **_TEACHING)
def _teaching_features(digest: str, key: SegmentParams, _small: np.ndarray) -> np.ndarray:
    values = np.array(extract_features(_small, key.spec()).values, copy=True)  # (n, d)
    values.flags.writeable = False
    return values


def teaching_features(image: WorkingImage, params: SegmentParams) -> np.ndarray:
    """Feature matrix (n, d) of :func:`teaching_image` for the features of ``params``.

    Raises
    ------
    NoFeatureSelectedError
        If no feature is selected.
    """
    key = feature_key(params)
    key.spec()  # raises NoFeatureSelectedError before any work
    return _teaching_features(image.digest, key, teaching_image(image))


@st.cache_resource(show_spinner=False, **_TEACHING)
def _elbow(digest: str, key: SegmentParams, _X: np.ndarray, _progress) -> ElbowCurve:
    # k stops at the number of different feature rows (a flat-colour drawing has few).
    n_distinct = np.unique(_X, axis=0).shape[0]
    last = max(2, min(ELBOW_MAX_K, n_distinct))  # one colour: k = 2 raises TooFewDistinctPoints
    return elbow_curve(_X, range(2, last + 1), n_init=3, seed=key.seed, progress=_progress)


def elbow(image: WorkingImage, params: SegmentParams, progress=None) -> ElbowCurve:
    """Inertia, silhouette and Calinski–Harabasz for k = 2..12 at teaching size.

    Keyed on the digest and the features (+ seed), never on k: the same curve
    for every k a student tries. k stops earlier, at the number of different
    pixels (in features), on pictures with fewer than 12. Raises as
    :func:`teaching_features`; ``TooFewDistinctPointsError`` if every pixel is
    the same.
    """
    return _elbow(image.digest, feature_key(params), teaching_features(image, params), progress)


@st.cache_resource(show_spinner=False, **_TEACHING)
def _small_segmentation(digest: str, params: SegmentParams, _small: np.ndarray) -> Segmentation:
    return segment(_small, **params.segment_kwargs())


def small_segmentation(image: WorkingImage, params: SegmentParams) -> Segmentation:
    """:func:`segmentation` of :func:`teaching_image` (cached on digest + params).

    Raises as :func:`segmentation`.
    """
    params.spec()
    return _small_segmentation(image.digest, params, teaching_image(image))


@st.cache_resource(show_spinner=False, **_TEACHING)
def _starts(digest: str, params: SegmentParams, n_seeds: int, _X: np.ndarray,
            _progress) -> StartComparison:
    return compare_starts(_X, params.k, n_seeds=n_seeds, seed=params.seed,
                          max_iter=params.max_iter, tol=params.tol, progress=_progress)


def starts(image: WorkingImage, params: SegmentParams, n_seeds: int,
           progress=None) -> StartComparison:
    """k-means++ and random starts, ``n_seeds`` each (seeds params.seed, +1, ...)."""
    key = SegmentParams(**{**params.segment_kwargs(), "init": "k-means++"})
    return _starts(image.digest, key, n_seeds, teaching_features(image, params), progress)


@st.cache_resource(show_spinner=False, **_TEACHING)
def _perturbation_stability(digest: str, params: SegmentParams, _small: np.ndarray,
                            _progress) -> PerturbationStability:
    return stability_to_perturbations(_small, params, seed=0, progress=_progress)


def perturbation_stability(image: WorkingImage, params: SegmentParams,
                           progress=None) -> PerturbationStability:
    """The run of ``params`` on the teaching image and on three similar images (ARI)."""
    params.spec()
    return _perturbation_stability(image.digest, params, teaching_image(image), progress)


@st.cache_resource(show_spinner=False, **_TEACHING)
def _kmeanspp_picks(digest: str, key: SegmentParams, k: int, _X: np.ndarray) -> KMeansPlusPlusSteps:
    return kmeanspp_steps(_X, k, seed=key.seed)


def kmeanspp_picks(image: WorkingImage, params: SegmentParams) -> KMeansPlusPlusSteps:
    """The k-means++ picks of ``params.seed``, one at a time, with their D² distributions."""
    return _kmeanspp_picks(image.digest, feature_key(params), params.k,
                           teaching_features(image, params))


@st.cache_resource(show_spinner=False, **_TEACHING)
def _run_from_pixels(digest: str, params: SegmentParams, pixels: tuple[tuple[int, int], ...],
                     _X: np.ndarray, _width: int) -> KMeansState:
    rows = [row * _width + col for row, col in pixels]
    return kmeans(_X, len(rows), init=_X[rows], max_iter=params.max_iter,
                                 tol=params.tol)


def run_from_pixels(image: WorkingImage, params: SegmentParams,
                    pixels: tuple[tuple[int, int], ...]) -> KMeansState:
    """k-means from the features of the chosen (row, col) pixels of the teaching image.

    Returns the final :class:`~segmentation.KMeansState` (k = number of pixels).

    Raises
    ------
    ValueError
        If two chosen pixels have the same features (k-means needs distinct
        starting centres) or fewer than one pixel is given.
    """
    width = teaching_image(image).shape[1]
    return _run_from_pixels(image.digest, feature_key(params), tuple(pixels),
                            teaching_features(image, params), width)


@st.cache_resource(show_spinner=False, **_RENDERS)
def _labels_png(what: tuple, palette: str, alpha: float, _image: np.ndarray,
                _labels: np.ndarray) -> bytes:
    labels = _labels.reshape(_image.shape[:2])
    colors = visualize.segment_colors(int(labels.max()) + 1, palette)
    return encode_png(visualize.overlay(_image, labels, alpha, colors=colors))


def labels_png(image: WorkingImage, what: tuple, labels: np.ndarray, palette: str = "default",
               alpha: float = 1.0) -> bytes:
    """Teaching-size labels painted over the teaching image (alpha 1: the flat mask), as PNG.

    ``what`` is a hashable description of how the labels were made (it is the
    cache key with the digest, palette and alpha; the labels are not hashed).
    """
    return _labels_png((image.digest, *what), palette, round(float(alpha), 3),
                       teaching_image(image), labels)


@st.cache_resource(show_spinner=False, **_RENDERS)
def _mask_png(what: tuple, _image: np.ndarray, _mask: np.ndarray) -> bytes:
    return encode_png(visualize.highlight_pixels(_image, _mask))


def highlight_png(image: WorkingImage, what: tuple, mask: np.ndarray) -> bytes:
    """The teaching image with the pixels of ``mask`` bright and the others darkened, as PNG."""
    return _mask_png((image.digest, *what), teaching_image(image), mask)


@st.cache_resource(show_spinner=False, **_TEACHING)
def _teaching_kmeans(digest: str, key: SegmentParams, k: int, init: str,
                     _X: np.ndarray) -> KMeansState:
    return kmeans(_X, k, init=init, seed=key.seed, max_iter=100, tol=1e-4)


def teaching_kmeans(image: WorkingImage, params: SegmentParams, k: int) -> KMeansState:
    """One k-means run (``params.init``, ``params.seed``) on the teaching features, k clusters."""
    return _teaching_kmeans(image.digest, feature_key(params), k, params.init,
                            teaching_features(image, params))


@st.cache_resource(show_spinner=False, **_RENDERS)
def _teaching_photo_png(digest: str, _small: np.ndarray) -> bytes:
    return encode_png(_small)


def teaching_photo_png(image: WorkingImage) -> bytes:
    """:func:`teaching_image` as PNG."""
    return _teaching_photo_png(image.digest, teaching_image(image))


@st.cache_resource(show_spinner=False, **_TEACHING)
def _start_stability(digest: str, params: SegmentParams, n_seeds: int, init: str,
                     _comparison: StartComparison):
    return _comparison.stability(init)


def start_stability(image: WorkingImage, params: SegmentParams, n_seeds: int, init: str,
                    comparison: StartComparison):
    """ARI between every pair of the runs of ``init`` in :func:`starts` (190 pairs for 20 seeds,
    ~0.1 s: cached with it)."""
    key = SegmentParams(**{**params.segment_kwargs(), "init": "k-means++"})
    return _start_stability(image.digest, key, n_seeds, init, comparison)


@st.cache_resource(show_spinner=False, **_FIGURES)
def _starts_figure(digest: str, params: SegmentParams, n_seeds: int, large_text: bool,
                   _comparison: StartComparison) -> go.Figure:
    return teaching_figures.starts_figure(_comparison, large_text=large_text)


def starts_figure(image: WorkingImage, params: SegmentParams, n_seeds: int,
                  comparison: StartComparison, large_text: bool = False) -> go.Figure:
    """The box plots of :func:`starts` (built once: Plotly figures take ~0.1 s to build)."""
    key = SegmentParams(**{**params.segment_kwargs(), "init": "k-means++"})
    return _starts_figure(image.digest, key, n_seeds, large_text, comparison)


@st.cache_resource(show_spinner=False, **_FIGURES)
def _picks_figure(digest: str, key: SegmentParams, k: int, pick: int, large_text: bool,
                  _small: np.ndarray, _steps: KMeansPlusPlusSteps) -> go.Figure:
    height, width = _small.shape[:2]
    heat = teaching_figures.heat_png(_steps.probabilities[pick - 1].reshape(height, width))
    picked = [divmod(row, width) for row in _steps.rows[:pick]]
    return teaching_figures.picks_figure(encode_png(_small), heat, picked,
                                         large_text=large_text)


def picks_figure(image: WorkingImage, params: SegmentParams, pick: int,
                 large_text: bool = False) -> go.Figure:
    """Picks 1..``pick`` of :func:`kmeanspp_picks` on the photo, and the D² heat map of
    pick ``pick`` (figures of ui/teaching_figures.py)."""
    return _picks_figure(image.digest, feature_key(params), params.k, pick, large_text,
                         teaching_image(image), kmeanspp_picks(image, params))


@st.cache_resource(show_spinner=False, **_FIGURES)
def _picks_space_figure(digest: str, key: SegmentParams, k: int, pick: int, large_text: bool,
                        _X: np.ndarray, _steps: KMeansPlusPlusSteps) -> go.Figure:
    return teaching_figures.picks_space_figure(_X, key.spec().feature_names, _steps.rows,
                                               _steps.probabilities, pick, large_text=large_text)


def picks_space_figure(image: WorkingImage, params: SegmentParams, pick: int,
                       large_text: bool = False) -> go.Figure:
    """Picks 1..``pick`` of :func:`kmeanspp_picks` in feature space, pixels coloured by
    the probability of pick ``pick``."""
    return _picks_space_figure(image.digest, feature_key(params), params.k, pick, large_text,
                               teaching_features(image, params), kmeanspp_picks(image, params))


@st.cache_resource(show_spinner=False, **_FIGURES)
def _elbow_figures(digest: str, key: SegmentParams, current_k: int, large_text: bool,
                   _curve: ElbowCurve) -> tuple[go.Figure, go.Figure]:
    elbow = teaching_figures.elbow_figure(_curve.suggestion(), _curve.inertias, current_k,
                                          large_text=large_text)
    criteria = teaching_figures.criteria_figure(_curve.ks, _curve.silhouettes,
                                                _curve.calinski_harabasz, current_k,
                                                large_text=large_text)
    return elbow, criteria


def elbow_figures(image: WorkingImage, params: SegmentParams, curve: ElbowCurve,
                  large_text: bool = False) -> tuple[go.Figure, go.Figure]:
    """The inertia-with-elbow and the criteria figures of :func:`elbow`, ``params.k`` marked."""
    return _elbow_figures(image.digest, feature_key(params), params.k, large_text, curve)


@st.cache_resource(show_spinner=False, **_TEACHING)
def _disagreement(digest: str, params_a: SegmentParams, params_b: SegmentParams,
                  _labels_a: np.ndarray, _labels_b: np.ndarray):
    return disagreement(_labels_a, _labels_b)


def disagreement_of(image: WorkingImage, params_a: SegmentParams, params_b: SegmentParams):
    """:func:`segmentation.comparison.disagreement` of the :func:`small_segmentation` of A and B."""
    return _disagreement(image.digest, params_a, params_b,
                         small_segmentation(image, params_a).labels,
                         small_segmentation(image, params_b).labels)
