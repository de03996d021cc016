"""The app's one caching layer: every page computes through these functions.

What is keyed on what
---------------------
========================  ==================================================
function                  cache key
========================  ==================================================
``sample_image``          sample key, max_side
``uploaded_image``        SHA-256 of the file's bytes, max_side
``segmentation``          image digest, SegmentParams
``features``              image digest, FeatureSpec (shared by every k and start)
``photo_png``             image digest
``overlay_png``           image digest, SegmentParams, alpha, DisplaySettings
``iteration_overlay_png`` image digest, SegmentParams, iteration, alpha, DisplaySettings
``step_png``,             image digest, SegmentParams, half-step, highlight,
``step_jpeg``             DisplaySettings, format
``overlay_jpeg``          as ``overlay_png``, format
``feature_space_svg``     image digest, SegmentParams, half-step, palette, text size
                          (the features themselves: ``features``)
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
import os
import time
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image
from threadpoolctl import ThreadpoolController

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
from segmentation import kmeans as kmeans_module
from segmentation import visualize
from segmentation.metrics import GroundTruthScores, compare_to_ground_truth
from segmentation.samples import get_sample, load_ground_truth, load_sample

from . import figures, svg
from .budget import BudgetedCache, ComputeSlots, iteration_limit
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
    "features",
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

# Streamlit hashes a dataclass argument field by field (dataclasses.asdict, then
# every key and every value): 0.25 ms for a SegmentParams, 0.1 ms for a
# DisplaySettings, and a page reads several cached pictures per rerun. These
# frozen dataclasses hold plain values, and their repr spells out every field
# with its exact value: the same key in a twentieth of the time
# (tests/test_cache_keys.py checks that changing any field changes it).
_HASH_FUNCS = {SegmentParams: repr, DisplaySettings: repr, "ui.cache.CleanSettings": repr}


def _cached(**kwargs):
    """``st.cache_resource(**kwargs)`` with the fast keys of :data:`_HASH_FUNCS`."""
    return st.cache_resource(hash_funcs=_HASH_FUNCS, **kwargs)


# Bounds shared by the caches of one kind; a ttl frees what nobody looked at lately.
_IMAGES = {"max_entries": 48, "ttl": 2 * 3600}
# k-means results of the working image keep every iteration's labels (one byte
# per pixel per iteration: 0.26 MB at 512 x 512, 1 MB at 1024 x 1024), so their
# size varies 1000-fold: they are budgeted in bytes, not entries (ui/budget.py).
# RESULTS_BUDGET is the most one server process keeps ($SEGMENT_RESULTS_MB
# megabytes, 768 by default); ITERATION_BUDGET bounds
# one result (pixels x (iterations + 1) <= 106 M: 100 iterations at 1024 x 1024),
# whatever a link asks for.
RESULTS_BUDGET = int(os.environ.get("SEGMENT_RESULTS_MB", "768")) * 2**20
ITERATION_BUDGET = 1024 * 1024 * 101
# Results derived from one k-means result (e.g. its cleaned labels): one label
# image each, at most ~1 MB at 1024 x 1024.
_RESULTS = {"max_entries": 32, "ttl": 3600}
_RENDERS = {"max_entries": 128, "ttl": 3600}
_FIGURES = {"max_entries": 24, "ttl": 3600}  # a figure is 0.5-3 MB
# The overlay opacity a page starts from (the command line's --alpha default too).
DEFAULT_ALPHA = 0.5
# Opacity of the segment colours in the step pictures, the animation and the GIF.
# Fixed, so that moving the overlay-opacity slider never rebuilds a whole
# animation; the same as the default, so that Explore's last step and its
# result overlay at the default opacity are one picture (ui.views._step_picture).
ANIMATION_ALPHA = DEFAULT_ALPHA
# The errors of a segmentation that a student fixes by changing the settings,
# and the only ones a page may show as such advice: no feature selected, or k
# above the number of different pixels (segment() raises TooFewDistinctPixelsError,
# a subclass). Anything else is a bug and must surface as one.
SETTINGS_ERRORS = (NoFeatureSelectedError, TooFewDistinctPointsError)

_RESULTS_CACHE: BudgetedCache[Segmentation] = BudgetedCache(
    RESULTS_BUDGET, ttl_s=3600, cache_errors=SETTINGS_ERRORS)  # failures are kept too
# Feature matrices of working images (H*W x d float32: 5 MB at 512 x 512 with
# position, 21 MB at 1024 x 1024), per picture and feature settings: a new k,
# start or stopping rule reuses the matrix, and so does the feature-space view
# of every step. $SEGMENT_FEATURES_MB megabytes per process, 128 by default.
FEATURES_BUDGET = int(os.environ.get("SEGMENT_FEATURES_MB", "128")) * 2**20
_FEATURES_CACHE: BudgetedCache[FeatureMatrix] = BudgetedCache(FEATURES_BUDGET, ttl_s=3600)


def _slots_per_process() -> int:
    """k-means runs at once in this process: $SEGMENT_SLOTS, else one per usable core."""
    configured = os.environ.get("SEGMENT_SLOTS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, len(os.sched_getaffinity(0)))


# A class changing settings at once would otherwise run thirty k-means side by
# side, each thirty times slower; queued first come first served, each run
# gets a whole core and the queue shows how many are ahead.
KMEANS_SLOTS = ComputeSlots(_slots_per_process())
QUEUE_REDRAW_S = 2.0  # a queued run's notice is redrawn at least this often


def _threads_per_run(slots: int) -> int:
    """Threads of one k-means run: $SEGMENT_THREADS, else the usable cores shared by the slots.

    With a slot per core (the default) that is one thread per run: under a
    class every core is busy with its own run, and a second thread would only
    add hand-over costs (``segmentation.kmeans.set_num_threads``).
    """
    configured = os.environ.get("SEGMENT_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, len(os.sched_getaffinity(0)) // slots)


kmeans_module.set_num_threads(_threads_per_run(KMEANS_SLOTS.n))


@_cached(show_spinner=False, max_entries=1, ttl=24 * 3600)
def thread_pools() -> ThreadpoolController:
    """This process's BLAS and OpenMP thread pools, found once per process.

    Finding them walks every loaded shared library: ~1 ms in a fresh Python,
    tens of ms in a busy server process, too slow to repeat on every rerun.
    """
    return ThreadpoolController()


def bytes_digest(data: bytes) -> str:
    """SHA-256 of an uploaded file's bytes, the key of its decoded image."""
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- #
# Images
# --------------------------------------------------------------------------- #
@_cached(show_spinner="Loading the sample...", **_IMAGES)
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


@_cached(show_spinner="Reading your picture...", **_IMAGES)
def _decode_upload(file_digest: str, max_side: int, _data: bytes) -> tuple[LoadedImage, str] | str:
    """The decoded file and its pixels' digest, or the error message. Failures
    are cached too, so a bad file is not parsed again on every rerun while it
    stays selected; the pixels are hashed once per file, not once per rerun."""
    try:
        loaded = load_image(_data, max_side=max_side)
    except ImageLoadError as err:
        return str(err)
    return loaded, image_digest(loaded.image)


def uploaded_image(data: bytes, *, name: str, source: str, max_side: int,
                   file_digest: str | None = None) -> UploadResult:
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
    file_digest : str, optional
        :func:`bytes_digest` of ``data`` if the caller kept it from an
        earlier rerun (hashing a 25 MB file takes ~50 ms); computed if None.

    Returns
    -------
    UploadResult
        ``image`` set on success; ``error`` holds a plain-language message if
        the file is not a readable image (see :class:`segmentation.ImageLoadError`).
    """
    decoded = _decode_upload(file_digest or bytes_digest(data), max_side, data)
    if isinstance(decoded, str):
        return UploadResult(None, decoded)
    loaded, digest = decoded
    image = loaded.image  # read-only (H, W, 3) uint8
    return UploadResult(WorkingImage(source=source, name=name, title=name,
                                     digest=digest, image=image,
                                     original_size=loaded.info.original_size,
                                     max_side=max_side), None)


# --------------------------------------------------------------------------- #
# k-means
# --------------------------------------------------------------------------- #
def clear_caches() -> None:
    """Forget every cached result of this process (Streamlit's caches and the k-means results)."""
    st.cache_resource.clear()
    _RESULTS_CACHE.clear()
    _FEATURES_CACHE.clear()


def results_cache_stats():
    """Entries, bytes, hits and misses of the k-means results cache (a :class:`CacheStats`)."""
    return _RESULTS_CACHE.stats()


def max_iterations(image: WorkingImage, max_iter: int) -> int:
    """The iterations a run on ``image`` may keep, at most ``max_iter`` (ITERATION_BUDGET)."""
    height, width = image.size
    return iteration_limit(height * width, max_iter, ITERATION_BUDGET)


def segmentation(image: WorkingImage, params: SegmentParams) -> Segmentation:
    """Segment the working image with ``params`` (cached on digest + params).

    Computed once per process for everybody: a second session asking for the
    same result while it runs waits for it. A new computation waits for a
    free k-means slot (:data:`KMEANS_SLOTS`) and says so on the page, with
    the number of runs ahead. ``max_iter`` is capped by :func:`max_iterations`.

    Raises
    ------
    NoFeatureSelectedError
        If no feature is selected (checked before any work).
    TooFewDistinctPointsError
        If ``k`` is larger than the number of different pixels of the image.
        Both are in :data:`SETTINGS_ERRORS`; their messages are written for
        the user. They are cached like results: a rerun does not redo the work.
    """
    params.spec()  # raises NoFeatureSelectedError, not FeatureSpec's general ValueError
    allowed = max_iterations(image, params.max_iter)
    if allowed < params.max_iter:
        params = replace(params, max_iter=allowed)
    key = ("segment", image.digest, params)
    found, result = _RESULTS_CACHE.peek(key)
    if found:  # the usual rerun: no placeholder element, nothing to wait for
        return result
    notice = st.empty()

    def shared_wait() -> None:
        notice.info("Running k-means for another student with the same settings; "
                    "the result will be shared.", icon=":material/hourglass_top:")

    def compute() -> Segmentation:
        shown = {"ahead": None, "at": 0.0}

        def queued(ahead: int) -> None:
            # Redraw when the count changes, else every QUEUE_REDRAW_S: each drawing is a
            # message to the browser, and a class of waiting students would otherwise send
            # two a second each to say nothing new. Drawing is also where Streamlit stops
            # a run whose student changed the settings (the run leaves the queue).
            now = time.monotonic()
            if ahead == shown["ahead"] and now - shown["at"] < QUEUE_REDRAW_S:
                return
            shown.update(ahead=ahead, at=now)
            notice.info(f"Queued: {ahead} k-means run{'s' if ahead != 1 else ''} ahead of "
                        "yours on this server. Yours starts as soon as one finishes.",
                        icon=":material/hourglass_top:")

        with KMEANS_SLOTS.slot(queued):
            notice.empty()
            with st.spinner("Running k-means..."):
                return segment(image.image, features=features(image, params),
                               **params.segment_kwargs())

    try:
        return _RESULTS_CACHE.get_or_compute(key, compute, on_wait=shared_wait)
    finally:
        notice.empty()


# --------------------------------------------------------------------------- #
# Pictures (PNG bytes: exact colours, never JPEG, for masks and overlays)
# --------------------------------------------------------------------------- #
@_cached(show_spinner=False, **_RENDERS)
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


@_cached(show_spinner=False, **_RENDERS)
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


@_cached(show_spinner=False, **_RENDERS)
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


@_cached(show_spinner=False, **_RENDERS)
def _boundaries_png(digest: str, params: SegmentParams, _image: np.ndarray,
                    _result: Segmentation) -> bytes:
    return encode_png(visualize.boundaries(_image, _result.labels))


def boundaries_png(image: WorkingImage, params: SegmentParams, result: Segmentation) -> bytes:
    """Segment edges drawn in yellow on the photo, as PNG."""
    return _boundaries_png(image.digest, params, image.image, result)


@_cached(show_spinner=False, **_RENDERS)
def _mean_color_png(digest: str, params: SegmentParams, _image: np.ndarray,
                    _result: Segmentation) -> bytes:
    return encode_png(visualize.mean_color_image(_image, _result.labels))


def mean_color_png(image: WorkingImage, params: SegmentParams, result: Segmentation) -> bytes:
    """Every segment painted with its mean colour, as PNG."""
    return _mean_color_png(image.digest, params, image.image, result)


@_cached(show_spinner=False, **_RENDERS)
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


@_cached(show_spinner="Building the animation...", **_FIGURES)
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
def features(image: WorkingImage, params: SegmentParams) -> FeatureMatrix:
    """The feature matrix of the working image for ``params``' features (cached).

    Keyed on the picture and the :class:`~segmentation.FeatureSpec` alone, so
    every k, start and stopping rule shares it (:data:`FEATURES_BUDGET`).
    """
    spec = params.spec()
    return _FEATURES_CACHE.get_or_compute(
        ("features", image.digest, spec), lambda: extract_features(image.image, spec))


@_cached(show_spinner=False, max_entries=256, ttl=3600)
def _feature_space_svg(digest: str, params: SegmentParams, step: int, palette: str,
                       large_text: bool, _image: WorkingImage, _result: Segmentation) -> str:
    matrix = features(_image, params)
    iteration, after_update = split_step(step)
    return svg.feature_space_svg(matrix.values, matrix.names, _result.states, iteration,
                                 after_update=after_update, large_text=large_text,
                                 colors=visualize.segment_colors(_result.k, palette))


def feature_space_svg(image: WorkingImage, params: SegmentParams, result: Segmentation,
                      step: int, display: DisplaySettings = DisplaySettings()) -> str:
    """Pixels and centres in feature space at one half-step, as an SVG document.

    The features are extracted once per image and parameters; each step's
    picture (3,000 points) is drawn once and cached.
    """
    return _feature_space_svg(image.digest, params, int(step), display.palette,
                              display.present, image, result)


@_cached(show_spinner=False, **_IMAGES)
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


@_cached(show_spinner=False, **_RENDERS)
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


@_cached(show_spinner=False, **_RENDERS)
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


@_cached(show_spinner=False, **_FIGURES)
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
from segmentation.comparison import disagreement, region_summary  # noqa: E402
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


@_cached(show_spinner=False, **_IMAGES)
def _teaching_image(digest: str, _image: np.ndarray) -> np.ndarray:
    small = np.array(working_image(_image), dtype=np.uint8, copy=True)
    small.flags.writeable = False
    return small


def teaching_image(image: WorkingImage) -> np.ndarray:
    """The working image shrunk to the teaching pages' size, (h, w, 3) uint8, read-only."""
    return _teaching_image(image.digest, image.image)


@_cached(show_spinner=False, **_TEACHING)
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


@_cached(show_spinner=False, **_TEACHING)
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


@_cached(show_spinner=False, **_TEACHING)
def _small_segmentation(digest: str, params: SegmentParams, _small: np.ndarray) -> Segmentation:
    return segment(_small, **params.segment_kwargs())


def small_segmentation(image: WorkingImage, params: SegmentParams) -> Segmentation:
    """:func:`segmentation` of :func:`teaching_image` (cached on digest + params).

    Raises as :func:`segmentation`.
    """
    params.spec()
    return _small_segmentation(image.digest, params, teaching_image(image))


@_cached(show_spinner=False, **_TEACHING)
def _starts(digest: str, params: SegmentParams, n_seeds: int, _X: np.ndarray,
            _progress) -> StartComparison:
    return compare_starts(_X, params.k, n_seeds=n_seeds, seed=params.seed,
                          max_iter=params.max_iter, tol=params.tol, progress=_progress)


def starts(image: WorkingImage, params: SegmentParams, n_seeds: int,
           progress=None) -> StartComparison:
    """k-means++ and random starts, ``n_seeds`` each (seeds params.seed, +1, ...)."""
    key = SegmentParams(**{**params.segment_kwargs(), "init": "k-means++"})
    return _starts(image.digest, key, n_seeds, teaching_features(image, params), progress)


@_cached(show_spinner=False, **_TEACHING)
def _perturbation_stability(digest: str, params: SegmentParams, _small: np.ndarray,
                            _progress) -> PerturbationStability:
    return stability_to_perturbations(_small, params, seed=0, progress=_progress)


def perturbation_stability(image: WorkingImage, params: SegmentParams,
                           progress=None) -> PerturbationStability:
    """The run of ``params`` on the teaching image and on three similar images (ARI)."""
    params.spec()
    return _perturbation_stability(image.digest, params, teaching_image(image), progress)


@_cached(show_spinner=False, **_TEACHING)
def _kmeanspp_picks(digest: str, key: SegmentParams, k: int, _X: np.ndarray) -> KMeansPlusPlusSteps:
    return kmeanspp_steps(_X, k, seed=key.seed)


def kmeanspp_picks(image: WorkingImage, params: SegmentParams) -> KMeansPlusPlusSteps:
    """The k-means++ picks of ``params.seed``, one at a time, with their D² distributions."""
    return _kmeanspp_picks(image.digest, feature_key(params), params.k,
                           teaching_features(image, params))


@_cached(show_spinner=False, **_TEACHING)
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


@_cached(show_spinner=False, **_RENDERS)
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


@_cached(show_spinner=False, **_RENDERS)
def _mask_png(what: tuple, _image: np.ndarray, _mask: np.ndarray) -> bytes:
    return encode_png(visualize.highlight_pixels(_image, _mask))


def highlight_png(image: WorkingImage, what: tuple, mask: np.ndarray) -> bytes:
    """The teaching image with the pixels of ``mask`` bright and the others darkened, as PNG."""
    return _mask_png((image.digest, *what), teaching_image(image), mask)


@_cached(show_spinner=False, **_TEACHING)
def _teaching_kmeans(digest: str, key: SegmentParams, k: int, init: str,
                     _X: np.ndarray) -> KMeansState:
    return kmeans(_X, k, init=init, seed=key.seed, max_iter=100, tol=1e-4)


def teaching_kmeans(image: WorkingImage, params: SegmentParams, k: int) -> KMeansState:
    """One k-means run (``params.init``, ``params.seed``) on the teaching features, k clusters."""
    return _teaching_kmeans(image.digest, feature_key(params), k, params.init,
                            teaching_features(image, params))


@_cached(show_spinner=False, **_RENDERS)
def _teaching_photo_png(digest: str, _small: np.ndarray) -> bytes:
    return encode_png(_small)


def teaching_photo_png(image: WorkingImage) -> bytes:
    """:func:`teaching_image` as PNG."""
    return _teaching_photo_png(image.digest, teaching_image(image))


@_cached(show_spinner=False, **_TEACHING)
def _start_stability(digest: str, params: SegmentParams, n_seeds: int, init: str,
                     _comparison: StartComparison):
    return _comparison.stability(init)


def start_stability(image: WorkingImage, params: SegmentParams, n_seeds: int, init: str,
                    comparison: StartComparison):
    """ARI between every pair of the runs of ``init`` in :func:`starts` (190 pairs for 20 seeds,
    ~0.1 s: cached with it)."""
    key = SegmentParams(**{**params.segment_kwargs(), "init": "k-means++"})
    return _start_stability(image.digest, key, n_seeds, init, comparison)


@_cached(show_spinner=False, **_FIGURES)
def _starts_figure(digest: str, params: SegmentParams, n_seeds: int, large_text: bool,
                   _comparison: StartComparison) -> go.Figure:
    return teaching_figures.starts_figure(_comparison, large_text=large_text)


def starts_figure(image: WorkingImage, params: SegmentParams, n_seeds: int,
                  comparison: StartComparison, large_text: bool = False) -> go.Figure:
    """The box plots of :func:`starts` (built once: Plotly figures take ~0.1 s to build)."""
    key = SegmentParams(**{**params.segment_kwargs(), "init": "k-means++"})
    return _starts_figure(image.digest, key, n_seeds, large_text, comparison)


@_cached(show_spinner=False, **_FIGURES)
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


@_cached(show_spinner=False, **_FIGURES)
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


@_cached(show_spinner=False, **_FIGURES)
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


@_cached(show_spinner=False, **_TEACHING)
def _disagreement(digest: str, params_a: SegmentParams, params_b: SegmentParams,
                  _labels_a: np.ndarray, _labels_b: np.ndarray):
    return disagreement(_labels_a, _labels_b)


def disagreement_of(image: WorkingImage, params_a: SegmentParams, params_b: SegmentParams):
    """:func:`segmentation.comparison.disagreement` of the :func:`small_segmentation` of A and B."""
    return _disagreement(image.digest, params_a, params_b,
                         small_segmentation(image, params_a).labels,
                         small_segmentation(image, params_b).labels)


# What the teaching pages redraw on every rerun, kept so a cached rerun costs
# little (figures built once; connected regions labelled once per result).
@_cached(show_spinner=False, **_TEACHING)
def _small_regions(digest: str, params: SegmentParams, _labels: np.ndarray):
    return region_summary(_labels)


def small_regions(image: WorkingImage, params: SegmentParams):
    """:func:`segmentation.comparison.region_summary` of :func:`small_segmentation`."""
    return _small_regions(image.digest, params, small_segmentation(image, params).labels)


@_cached(show_spinner=False, **_FIGURES)
def sweep_figure(weights: tuple[float, ...], counts: tuple[int, ...],
                 large_text: bool = False) -> go.Figure:
    """:func:`ui.teaching_figures.sweep_figure`, built once per (weights, counts, text size)."""
    return teaching_figures.sweep_figure(weights, counts, large_text=large_text)


@_cached(show_spinner=False, **_FIGURES)
def _pick_canvas(digest: str, picks: tuple[tuple[int, int], ...], large_text: bool,
                 _photo_png: bytes, _shape: tuple[int, int]) -> go.Figure:
    return teaching_figures.pick_canvas_figure(_photo_png, _shape, picks, large_text=large_text)


def pick_canvas(image: WorkingImage, picks, *, large_text: bool = False) -> go.Figure:
    """The click-to-pick canvas of the teaching-size photo with ``picks`` numbered (cached)."""
    small = teaching_image(image)
    return _pick_canvas(image.digest, tuple(map(tuple, picks)), large_text,
                        teaching_photo_png(image), small.shape[:2])


# --- Clean-up (Teaching pages II) ---
# app_pages/cleanup.py and Explore's "Clean up" switch. Both start from
# Explore's own k-means result (segmentation(): the working image, not the
# teaching size), so the page's last step and the switch show the same labels,
# and CLEAN_DEFAULTS, which are sizes in pixels tuned on 256-px images, mean
# what they say. Clean-up takes ~0.5 s at 512 px; everything is keyed on the
# image digest + SegmentParams (+ CleanSettings).
from segmentation.cli import cleaned as _cleaned  # noqa: E402
from segmentation.metrics import SegmentationQuality, evaluate_segmentation  # noqa: E402
from segmentation.postprocess import (  # noqa: E402
    CLEAN_DEFAULTS,
    CleanSteps,
    clean_steps,
    connected_regions,
)

_CLEANUP = {"max_entries": 32, "ttl": 3600}  # a CleanSteps holds <= 5 label images, ~1 MB at 512 px


@dataclass(frozen=True)
class CleanSettings:
    """The clean-up steps' settings (0 or False switches a step off), a cache key."""

    min_size: int = CLEAN_DEFAULTS["min_size"]  # pixels; smaller regions join a neighbour
    fill: bool = CLEAN_DEFAULTS["fill"]  # fill holes enclosed by one segment
    merge_threshold: float = CLEAN_DEFAULTS["merge_threshold"]  # ΔE below which neighbours merge
    smooth_radius: int = CLEAN_DEFAULTS["smooth_radius"]  # majority-filter radius, pixels

    def kwargs(self) -> dict[str, object]:
        """Keyword arguments of :func:`segmentation.postprocess.clean_steps`."""
        return {"min_size": self.min_size, "fill": self.fill,
                "merge_threshold": self.merge_threshold, "smooth_radius": self.smooth_radius}


def cleaned_key(params: SegmentParams) -> tuple[str, SegmentParams]:
    """The key under which the render functions above (``overlay_jpeg``, ``boundaries_png``,
    ``truth_scores``...) keep the pictures of :func:`cleaned_segmentation`.

    Those functions use their ``params`` argument only as a cache key (the
    labels come from the result passed in), so the cleaned result needs a key
    of its own, apart from the k-means result of the same parameters.
    """
    return ("clean", params)


@_cached(show_spinner="Cleaning up the segments...", **_RESULTS)
def _cleaned_segmentation(digest: str, params: SegmentParams, _image: np.ndarray,
                          _result: Segmentation) -> Segmentation:
    return _cleaned(_image, _result)


def cleaned_segmentation(image: WorkingImage, params: SegmentParams) -> Segmentation:
    """:func:`segmentation` followed by :func:`segmentation.postprocess.clean` (its defaults),
    with the statistics of the cleaned segments: what ``--clean`` writes.

    The iteration states stay those of k-means. Raises as :func:`segmentation`.
    """
    return _cleaned_segmentation(image.digest, params, image.image, segmentation(image, params))


@_cached(show_spinner=False, **_CLEANUP)
def _cleanup_steps(digest: str, params: SegmentParams, settings: CleanSettings,
                   _image: np.ndarray, _labels: np.ndarray, _progress) -> CleanSteps:
    return clean_steps(_labels, _image, **settings.kwargs(), progress=_progress)


def cleanup_steps(image: WorkingImage, params: SegmentParams, settings: CleanSettings,
                  progress=None) -> CleanSteps:
    """Every intermediate of the clean-up of :func:`segmentation`'s labels.

    ``progress(done, total, name)`` is called while it is computed for the
    first time. Raises as :func:`segmentation`.
    """
    labels = segmentation(image, params).labels
    return _cleanup_steps(image.digest, params, settings, image.image, labels, progress)


@_cached(show_spinner=False, **_RENDERS)
def _cleanup_picture(what: tuple, view: str, palette: str, _image: np.ndarray,
                     _labels: np.ndarray, _before: np.ndarray | None) -> bytes:
    if view == "regions":  # every connected region in a colour of its own
        regions = connected_regions(_labels)
        colors = np.random.default_rng(0).integers(40, 236, (regions.count, 3), dtype=np.uint8)
        picture = colors[regions.labels]  # (H, W, 3)
    elif view == "boundaries":
        picture = visualize.boundaries(_image, _labels)
    else:  # flat segment colours: every speck shows
        k = int(_labels.max()) + 1
        picture = visualize.overlay(_image, _labels, 1.0,
                                    colors=visualize.segment_colors(k, palette))
    if _before is not None:
        picture = visualize.highlight_pixels(picture, _labels != _before)
    return encode_jpeg(picture) if view == "boundaries" else encode_png(picture)


def cleanup_picture(image: WorkingImage, what: tuple, labels: np.ndarray, view: str,
                    palette: str = "default", before: np.ndarray | None = None) -> bytes:
    """Labels of the working image drawn for the clean-up page.

    ``view`` is ``"segments"`` (flat segment colours, PNG), ``"boundaries"``
    (region edges on the photo, JPEG) or ``"regions"`` (each connected region
    in its own colour, PNG). With ``before``, the pixels that differ from it
    stay bright and the others are darkened. ``what`` describes how the
    labels were made: with the digest, view and palette it is the cache key
    (the arrays are not hashed).
    """
    return _cleanup_picture((image.digest, *what, before is not None), view, palette,
                            image.image, labels, before)


@_cached(show_spinner=False, **_CLEANUP)
def _cleanup_scores(digest: str, params: SegmentParams, settings: CleanSettings, key: str,
                    _truth: np.ndarray, _steps: CleanSteps) -> tuple[SegmentationQuality, ...]:
    return tuple(evaluate_segmentation(step.labels, _truth) for step in _steps.steps)


def cleanup_scores(image: WorkingImage, params: SegmentParams, settings: CleanSettings,
                   steps: CleanSteps) -> tuple[SegmentationQuality, ...] | None:
    """Scores on connected regions against the sample's ground truth after every step of
    :func:`cleanup_steps`; None for pictures without one."""
    truth = ground_truth(image)
    if truth is None:
        return None
    return _cleanup_scores(image.digest, params, settings, image.sample_key, truth, steps)


@dataclass(frozen=True)
class CleanCounts:
    """What :func:`cleaned_segmentation` changed in :func:`segmentation`'s labels."""

    regions_before: int  # connected regions of the k-means labels
    regions_after: int  # connected regions of the cleaned labels
    pixels_moved: int  # pixels whose segment changed
    n_pixels: int  # pixels of the picture


@_cached(show_spinner=False, **_CLEANUP)
def _clean_counts(digest: str, params: SegmentParams, _before: np.ndarray,
                  _after: np.ndarray) -> CleanCounts:
    return CleanCounts(connected_regions(_before).count, connected_regions(_after).count,
                       int((_before != _after).sum()), int(_before.size))


def clean_counts(image: WorkingImage, params: SegmentParams) -> CleanCounts:
    """Connected regions before and after :func:`cleaned_segmentation`, and pixels moved."""
    return _clean_counts(image.digest, params, segmentation(image, params).labels,
                         cleaned_segmentation(image, params).labels)

# --- The lesson (Teaching pages II) ---
# app_pages/lesson.py: predict-then-run checkpoints (ui/lesson_checkpoints.py).
# Each runs on a fixed sample at the default working size and the teaching
# size, whatever the sidebar holds, so every student measures the same answer
# and one student's run serves the class. They go through small_segmentation,
# starts and elbow above; the only new cache is a sample's ground truth at the
# teaching size.
from .state import DEFAULT_MAX_SIDE  # noqa: E402


def lesson_sample(key: str) -> WorkingImage:
    """Sample ``key`` at the default working size (not the sidebar's): reproducible answers.

    Raises
    ------
    ValueError
        If ``key`` is not a sample.
    """
    return sample_image(key, DEFAULT_MAX_SIDE)


def teaching_truth(image: WorkingImage) -> np.ndarray | None:
    """The sample's ground truth at the size of :func:`teaching_image`, or None without one.

    The same cache as :func:`ground_truth`, keyed on the sample and the size.
    """
    if image.sample_key is None:
        return None
    return _ground_truth(image.sample_key, teaching_image(image).shape[:2])


# --- Other methods (Teaching pages II) ---
# app_pages/methods.py: SLIC, Felzenszwalb and hierarchical merging beside our
# k-means, on teaching_image() (160 px), keyed on the image digest + the few
# parameters each method takes. The hierarchy's whole merge sequence is cached
# once per picture, so its slider only relabels (~1 ms). `_progress`
# callbacks (not hashed) feed the page's progress bar on a first computation.
from segmentation.comparison import Disagreement  # noqa: E402
from segmentation.methods import (  # noqa: E402
    AgreementGrid,
    Hierarchy,
    MethodResult,
    SuperpixelComparison,
    compare_methods,
    merge_hierarchy,
    run_kmeans,
    run_slic,
    slic_vs_kmeans_agreement,
    superpixel_speedup,
)

from . import methods_figures  # noqa: E402

_METHODS = {"max_entries": 64, "ttl": 3600}  # 160-px label images and small tables
METHODS_SUPERPIXELS = 400  # SLIC superpixels of the hierarchy and of k-means on superpixels
METHODS_PICTURE_SCALE = 3  # pictures drawn 3x larger (nearest), so region edges stay thin


def methods_key(params: SegmentParams) -> SegmentParams:
    """The parameters the methods page uses (k, colour, position weight, seed): its cache key."""
    return SegmentParams(k=params.k, color=params.color, position_weight=params.position_weight,
                         seed=params.seed)


@_cached(show_spinner=False, **_METHODS)
def _method_results(digest: str, key: SegmentParams, _small: np.ndarray,
                    _progress) -> tuple[MethodResult, ...]:
    return compare_methods(_small, key.k, color=key.color, position_weight=key.position_weight,
                           seed=key.seed, n_superpixels=METHODS_SUPERPIXELS, progress=_progress)


def method_results(image: WorkingImage, params: SegmentParams,
                   progress=None) -> tuple[MethodResult, ...]:
    """:func:`segmentation.methods.compare_methods` on :func:`teaching_image` (k-means, k-means
    on superpixels, SLIC, Felzenszwalb, hierarchy), with the run's k, colour, weight and seed.

    Raises
    ------
    NoFeatureSelectedError
        If the colour is "none" and the position weight 0.
    """
    key = methods_key(params)
    key.spec()  # raises NoFeatureSelectedError before any work
    return _method_results(image.digest, key, teaching_image(image), progress)


@_cached(show_spinner=False, **_METHODS)
def _hierarchy(digest: str, n_superpixels: int, _small: np.ndarray, _progress) -> Hierarchy:
    return merge_hierarchy(_small, n_superpixels=n_superpixels, progress=_progress)


def hierarchy(image: WorkingImage, progress=None) -> Hierarchy:
    """The merge sequence of :func:`segmentation.methods.merge_hierarchy` over
    :data:`METHODS_SUPERPIXELS` SLIC superpixels of :func:`teaching_image`."""
    return _hierarchy(image.digest, METHODS_SUPERPIXELS, teaching_image(image), progress)


@_cached(show_spinner=False, **_METHODS)
def _hierarchy_level(digest: str, n_superpixels: int, n_regions: int,
                     _hierarchy: Hierarchy) -> np.ndarray:
    labels = _hierarchy.labels_at(n_regions)
    labels.flags.writeable = False
    return labels


def hierarchy_level(image: WorkingImage, n_regions: int) -> np.ndarray:
    """The labels of :func:`hierarchy` cut at ``n_regions`` regions (a relabelling, ~1 ms)."""
    return _hierarchy_level(image.digest, METHODS_SUPERPIXELS, n_regions, hierarchy(image))


@_cached(show_spinner=False, **_METHODS)
def _lesson_slic(digest: str, k: int, compactness: float, _small: np.ndarray) -> MethodResult:
    return run_slic(_small, k, compactness=compactness, enforce_connectivity=False)


def lesson_slic(image: WorkingImage, k: int, compactness: float) -> MethodResult:
    """SLIC with ``n_segments = k`` and no connectivity step: local k-means, as in the lesson."""
    return _lesson_slic(image.digest, k, float(compactness), teaching_image(image))


@_cached(show_spinner=False, **_METHODS)
def _lesson_kmeans(digest: str, k: int, position_weight: float, seed: int,
                   _small: np.ndarray) -> MethodResult:
    return run_kmeans(_small, k, color="lab", position_weight=position_weight, seed=seed)


def lesson_kmeans(image: WorkingImage, k: int, position_weight: float, seed: int) -> MethodResult:
    """Our k-means on Lab colour + position (SLIC's features), as in the agreement grid."""
    return _lesson_kmeans(image.digest, k, round(float(position_weight), 4), seed,
                          teaching_image(image))


@_cached(show_spinner=False, **_METHODS)
def _lesson_agreement(digest: str, k: int, compactness: float, position_weight: float,
                      seed: int, _slic: np.ndarray, _kmeans: np.ndarray) -> Disagreement:
    return disagreement(_slic, _kmeans)


def lesson_agreement(image: WorkingImage, k: int, compactness: float, position_weight: float,
                     seed: int) -> Disagreement:
    """Where :func:`lesson_slic` and :func:`lesson_kmeans` disagree (segments paired), and ARI."""
    slic_labels = lesson_slic(image, k, compactness).labels
    kmeans_labels = lesson_kmeans(image, k, position_weight, seed).labels
    return _lesson_agreement(image.digest, k, float(compactness), round(float(position_weight), 4),
                             seed, slic_labels, kmeans_labels)


@_cached(show_spinner=False, **_METHODS)
def _agreement_grid(digest: str, k: int, seed: int, compactness: tuple[float, ...],
                    weights: tuple[float, ...], _small: np.ndarray, _progress) -> AgreementGrid:
    return slic_vs_kmeans_agreement(_small, k, compactness=compactness, position_weights=weights,
                                    seed=seed, progress=_progress)


def agreement_grid(image: WorkingImage, k: int, seed: int, compactness: tuple[float, ...],
                   weights: tuple[float, ...], progress=None) -> AgreementGrid:
    """:func:`segmentation.methods.slic_vs_kmeans_agreement` over compactness x weight."""
    return _agreement_grid(image.digest, k, seed, tuple(compactness), tuple(weights),
                           teaching_image(image), progress)


@_cached(show_spinner=False, **_METHODS)
def _superpixel_comparison(digest: str, key: SegmentParams,
                           _small: np.ndarray) -> SuperpixelComparison:
    return superpixel_speedup(_small, key.k, n_superpixels=METHODS_SUPERPIXELS, color=key.color,
                              position_weight=key.position_weight, seed=key.seed, repeat=3)


def superpixel_comparison(image: WorkingImage, params: SegmentParams) -> SuperpixelComparison:
    """k-means on pixels against k-means on superpixel means (fastest of 3 timings each).

    Raises as :func:`method_results`.
    """
    key = methods_key(params)
    key.spec()
    return _superpixel_comparison(image.digest, key, teaching_image(image))


@_cached(show_spinner=False, **_RENDERS)
def _method_picture(what: tuple, _small: np.ndarray, _labels: np.ndarray) -> bytes:
    scale = METHODS_PICTURE_SCALE
    labels = np.repeat(np.repeat(_labels, scale, axis=0), scale, axis=1)  # (sH, sW)
    painted = visualize.mean_color_image(_small, _labels)  # (H, W, 3) one colour per segment
    painted = np.repeat(np.repeat(painted, scale, axis=0), scale, axis=1)
    return encode_jpeg(visualize.boundaries(painted, labels, color=(255, 255, 255)))


def method_picture(image: WorkingImage, what: tuple, labels: np.ndarray) -> bytes:
    """Teaching-size labels drawn as the mean colour of each segment with white region edges
    (3x larger, JPEG). ``what`` describes the labels: with the digest, the cache key."""
    return _method_picture((image.digest, *what), teaching_image(image), labels)


@_cached(show_spinner=False, **_FIGURES)
def _hierarchy_figure(digest: str, n_superpixels: int, n_regions: int, large_text: bool,
                      _hierarchy: Hierarchy) -> go.Figure:
    return methods_figures.merge_distance_figure(_hierarchy, n_regions, large_text=large_text)


def hierarchy_figure(image: WorkingImage, n_regions: int, large_text: bool = False) -> go.Figure:
    """The colour distance of each merge of :func:`hierarchy`, ``n_regions`` marked."""
    return _hierarchy_figure(image.digest, METHODS_SUPERPIXELS, n_regions, large_text,
                             hierarchy(image))


@_cached(show_spinner=False, **_FIGURES)
def _agreement_figure(digest: str, k: int, seed: int, grid_axes: tuple, compactness: float,
                      weight: float, large_text: bool, _grid: AgreementGrid) -> go.Figure:
    return methods_figures.agreement_figure(_grid, compactness, weight, large_text=large_text)


def agreement_figure(image: WorkingImage, grid: AgreementGrid, seed: int, compactness: float,
                     weight: float, large_text: bool = False) -> go.Figure:
    """The heat map of :func:`agreement_grid`, the student's (compactness, weight) marked."""
    return _agreement_figure(image.digest, grid.k, seed, (grid.compactness, grid.position_weights),
                             float(compactness), round(float(weight), 4), large_text, grid)


# --- From clustering to learning (Teaching pages II) ---
# app_pages/learning.py: a pixel classifier trained on the student's strokes,
# at the teaching size, next to k-means. Keyed on the image digest + a digest
# of the strokes + the classifier's parameters: the same strokes on the same
# picture train once for the whole class. scikit-learn is imported by
# segmentation.learning only when a classifier is trained.
from segmentation.learning import PixelClassifierResult, train_pixel_classifier  # noqa: E402


def strokes_digest(strokes: np.ndarray) -> str:
    """SHA-256 of a stroke label image (shape and int64 values): its cache key."""
    strokes = np.ascontiguousarray(strokes, dtype=np.int64)
    return hashlib.sha256(repr(strokes.shape).encode() + strokes.tobytes()).hexdigest()


@_cached(show_spinner="Training the pixel classifier on your strokes...", **_TEACHING)
def _pixel_classifier(digest: str, strokes_key: str, sigma_min: float, sigma_max: float,
                      n_estimators: int, seed: int, _small: np.ndarray,
                      _strokes: np.ndarray) -> PixelClassifierResult:
    return train_pixel_classifier(_small, _strokes, sigma_min=sigma_min, sigma_max=sigma_max,
                                  n_estimators=n_estimators, seed=seed)


def pixel_classifier(image: WorkingImage, strokes: np.ndarray, *, sigma_min: float,
                     sigma_max: float, n_estimators: int, seed: int) -> PixelClassifierResult:
    """:func:`segmentation.learning.train_pixel_classifier` on :func:`teaching_image`.

    Raises as that function (ValueError for fewer than two painted classes).
    """
    return _pixel_classifier(image.digest, strokes_digest(strokes), float(sigma_min),
                             float(sigma_max), int(n_estimators), int(seed),
                             teaching_image(image), strokes)


@_cached(show_spinner=False, **_RENDERS)
def _learning_scores(what: tuple, _labels: np.ndarray, _truth: np.ndarray) -> GroundTruthScores:
    return compare_to_ground_truth(_labels, _truth)


def learning_scores(image: WorkingImage, what: tuple, labels: np.ndarray,
                    truth: np.ndarray) -> GroundTruthScores:
    """ARI, VI and mean best IoU of teaching-size ``labels`` against ``truth``.

    ``what`` describes how the labels and the truth were made (hashable; with
    the digest it is the cache key, the arrays are not hashed).
    """
    return _learning_scores((image.digest, *what), labels, truth)


@_cached(show_spinner=False, **_RENDERS)
def _class_png(what: tuple, alpha: float, _image: np.ndarray, _labels: np.ndarray,
               _colors: np.ndarray) -> bytes:
    return encode_png(visualize.overlay(_image, _labels, alpha, colors=_colors))


def class_png(image: WorkingImage, what: tuple, labels: np.ndarray, colors: np.ndarray,
              alpha: float = 1.0) -> bytes:
    """Teaching-size class labels painted in ``colors`` (row c = class c) over the picture."""
    return _class_png((image.digest, *what), round(float(alpha), 3), teaching_image(image),
                      labels, colors)


# --- Ground truth (Teaching pages II) ---
# The Ground truth page (app_pages/ground_truth.py). A picture is keyed by
# "scene:<name>" (the 256 px scenes of the ground-truth set) or by the working
# image's digest; its truth by "scene:<name>", "sample:<key>" or the SHA-256 of
# an uploaded mask. Each method's run and scores are keyed on (picture, truth,
# method, k); the whole-set table on k alone, so it is computed once per
# process and the whole class shares it.
import time as _time  # noqa: E402

from segmentation import benchmark as _benchmark  # noqa: E402
from segmentation.io import load_label_mask  # noqa: E402
from segmentation.metrics import Confusion  # noqa: E402
from segmentation.samples import load_ground_truth_scene, load_ground_truth_set  # noqa: E402

from . import truth_figures  # noqa: E402

# 6 methods x 14 scenes at 256 px (~0.3 MB each with the scores), plus a few pictures.
_GT_RUNS = {"max_entries": 128, "ttl": 3600}
_GT_ERROR_RGB = np.array([230, 0, 160], dtype=np.float64)  # magenta: no segment colour is


@dataclass(frozen=True)
class TruthRun:
    """One method on one picture, scored against its truth."""

    method: str  # the method's name in segmentation.benchmark.methods(k)
    labels: np.ndarray  # (H, W) int segments, read-only
    seconds: float  # wall time of the method
    scores: _benchmark.Scores  # on connected regions, as in the whole-set table
    confusion: Confusion  # segments x true regions, matched segment of row i in column i
    match: _benchmark.BestMatch  # the truth painted in the matched segments, and the errors


@_cached(show_spinner=False, **_IMAGES)
def gt_scene(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(image, truth) of a scene of the ground-truth set, read-only."""
    return load_ground_truth_scene(name)


@_cached(show_spinner="Reading your label mask...", **_IMAGES)
def _gt_mask(file_digest: str, original_size: tuple[int, int], size: tuple[int, int],
             _data: bytes) -> np.ndarray | str:
    try:
        labels = load_label_mask(_data, size=original_size)
    except ImageLoadError as err:  # the file's fault: a message for the student
        return str(err)
    if labels.shape != size:  # the picture was shrunk to its working size: so is the mask
        labels = visualize.resize_labels(labels, size)
        labels.flags.writeable = False
    return labels


def gt_mask(data: bytes, image: WorkingImage) -> tuple[str, np.ndarray] | str:
    """An uploaded label mask of ``image``: (its key, labels at working size), or the error.

    The mask must have the picture's original size; it is shrunk like the
    picture (nearest neighbour: no invented labels). Nothing touches the disk.
    """
    digest = bytes_digest(data)
    labels = _gt_mask(digest, tuple(image.original_size), image.size, data)
    return labels if isinstance(labels, str) else (f"mask:{digest}", labels)


@_cached(show_spinner=False, **_GT_RUNS)
def _gt_run(picture: str, truth_key: str, method: str, k: int, _image: np.ndarray,
            _truth: np.ndarray) -> TruthRun:
    chosen = {m.name: m for m in _benchmark.methods(k)}[method]
    started = _time.perf_counter()
    labels = np.asarray(chosen.run(_image))
    seconds = _time.perf_counter() - started
    labels.flags.writeable = False
    return TruthRun(method, labels, seconds, _benchmark.Scores.of(labels, _truth),
                    _benchmark.confusion_by_match(labels, _truth),
                    _benchmark.best_match(labels, _truth))


def gt_run(picture: str, truth_key: str, method: str, k: int, image: np.ndarray,
           truth: np.ndarray) -> TruthRun:
    """Run ``method`` (a name of :func:`segmentation.benchmark.methods`) and score it.

    ``picture`` and ``truth_key`` name the image and its truth (the cache key;
    the arrays are not hashed). Raises ValueError for an unknown method name.
    """
    names = [m.name for m in _benchmark.methods(k)]
    if method not in names:
        raise ValueError(f"method={method!r} is not one of {', '.join(names)}")
    return _gt_run(picture, truth_key, method, int(k), image, truth)


@_cached(show_spinner=False, max_entries=6, ttl=12 * 3600)
def _gt_table(k: int, _progress) -> _benchmark.BenchmarkTable:
    return _benchmark.score_methods(load_ground_truth_set(), k, progress=_progress)


def gt_table(k: int, progress=None) -> _benchmark.BenchmarkTable:
    """The whole-set table of ``bench/quality.py --k k``: every method on every scene.

    ``progress(done, total, what)`` is called only while it is computed (the
    first time in this process).
    """
    return _gt_table(int(k), progress)


def _segments_picture(labels: np.ndarray, palette: str) -> np.ndarray:
    """(H, W, 3) uint8: each segment in its colour, with dark outlines (the palette cycles)."""
    colors = visualize.segment_colors(int(labels.max()) + 1, palette)
    return visualize.boundaries(visualize.colorize(labels, colors), labels, color=(40, 40, 40))


@_cached(show_spinner=False, **_RENDERS)
def _gt_pictures(picture: str, truth_key: str, method: str, k: int, palette: str,
                 _image: np.ndarray, _run: TruthRun) -> tuple[bytes, bytes, bytes]:
    labels = _run.labels
    colors = visualize.segment_colors(int(labels.max()) + 1, palette)
    # The truth, each region in the colour of its matched segment (pale grey: no match).
    painted = _run.match.truth_as_segments
    matched = np.where(painted[..., None] >= 0, colors[np.maximum(painted, 0)], 221)
    matched = visualize.boundaries(matched.astype(np.uint8), painted + 1, color=(40, 40, 40))
    # The errors in magenta over the darkened picture.
    errors = visualize.highlight_pixels(_image, np.zeros(labels.shape, dtype=bool), dim=0.45)
    errors = errors.astype(np.float64)
    errors[_run.match.errors] = 0.25 * errors[_run.match.errors] + 0.75 * _GT_ERROR_RGB
    return (encode_png(_segments_picture(labels, palette)), encode_png(matched),
            encode_png(np.round(errors).astype(np.uint8)))


def gt_pictures(picture: str, truth_key: str, k: int, palette: str, image: np.ndarray,
                run: TruthRun) -> tuple[bytes, bytes, bytes]:
    """PNGs of a run: its segments, the truth in the matched segments' colours, the errors."""
    return _gt_pictures(picture, truth_key, run.method, int(k), palette, image, run)


@_cached(show_spinner=False, **_RENDERS)
def _gt_truth_png(truth_key: str, palette: str, _truth: np.ndarray) -> bytes:
    return encode_png(_segments_picture(_truth, palette))


def gt_truth_png(truth_key: str, truth: np.ndarray, palette: str) -> bytes:
    """The true regions, each in its own colour, outlined, as PNG."""
    return _gt_truth_png(truth_key, palette, truth)


@_cached(show_spinner=False, **_RENDERS)
def _gt_photo_png(picture: str, _image: np.ndarray) -> bytes:
    return encode_png(_image)


def gt_photo_png(picture: str, image: np.ndarray) -> bytes:
    """The picture being scored, as PNG."""
    return _gt_photo_png(picture, image)


@_cached(show_spinner=False, **_FIGURES)
def _gt_confusion_figure(picture: str, truth_key: str, method: str, k: int, large_text: bool,
                         _run: TruthRun) -> go.Figure:
    return truth_figures.confusion_figure(_run.confusion, large_text=large_text)


def gt_confusion_figure(picture: str, truth_key: str, k: int, run: TruthRun,
                        large_text: bool = False) -> go.Figure:
    """The confusion heat map of a run (see :func:`ui.truth_figures.confusion_figure`)."""
    return _gt_confusion_figure(picture, truth_key, run.method, int(k), large_text, run)
