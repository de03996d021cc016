"""The lesson's predict-then-run checkpoints: each question and the experiment that answers it.

Every experiment runs on a fixed sample named in its question, at the
teaching size (:func:`ui.cache.teaching_image` of :func:`ui.cache.lesson_sample`),
with fixed seeds, through :mod:`ui.cache`: the answer is the same for every
student and whatever picture the sidebar holds, and computed once per server.
An experiment returns a :class:`Measurement`, whose ``choice`` is the
prediction its numbers support; the student's prediction is scored against
that (:func:`ui.checkpoints.score`), and ``tests/test_page_lesson.py`` checks
that it is the answer the lesson expects (``Checkpoint.answer``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from segmentation.comparison import region_summary
from segmentation.samples import get_sample

from . import cache
from .checkpoints import Checkpoint
from .params import SegmentParams
from .state import WorkingImage

__all__ = ["QUESTIONS", "CHECKPOINTS", "LessonQuestion", "Measurement", "Picture", "question"]

PAGE = "lesson"
EXPLORE = "app_pages/explore.py"
COMPARE = "app_pages/compare.py"
CHOOSING_K = "app_pages/choosing_k.py"
STARTS = "app_pages/starts.py"


@dataclass(frozen=True, eq=False)
class Picture:
    """A teaching-size label image to show beside a measured answer."""

    caption: str
    image: WorkingImage  # the sample it was computed on
    what: tuple  # how the labels were made (cache key of the PNG with the digest)
    labels: np.ndarray  # (h, w) segment of each pixel, teaching size


@dataclass(frozen=True, eq=False)
class Measurement:
    """What an experiment measured."""

    choice: int  # index of the prediction the numbers support
    text: str  # the result in words and numbers (Markdown), as shown and recorded
    value: float | None  # the headline number (recorded with the attempt)
    pictures: tuple[Picture, ...] = ()  # shown beside the text


@dataclass(frozen=True, eq=False)
class LessonQuestion:
    """A checkpoint with its experiment, its explanation and where to see it in depth."""

    checkpoint: Checkpoint
    run: Callable[[], Measurement]  # the experiment (cached underneath)
    why: str  # why the answer is what it is (Markdown), shown after the run
    link_label: str  # the text of the link to checkpoint.link
    settings: Mapping[str, object] = field(default_factory=dict)  # shared settings to open it with


def _question(name: str, question_text: str, choices: tuple[str, ...], answer: int,
              experiment: str, link: str) -> Checkpoint:
    return Checkpoint(f"{PAGE}.{name}", PAGE, question_text, choices, answer, experiment, link)


# --------------------------------------------------------------------------- #
# 1. Position weight and the number of regions
# --------------------------------------------------------------------------- #
WEIGHT_SAMPLE, WEIGHT_K, WEIGHTS = "chelsea", 4, (0.0, 0.5)


def weight_params(weight: float) -> SegmentParams:
    """The runs of the position-weight checkpoint: k = 4, Lab colour, seed 0."""
    return SegmentParams(k=WEIGHT_K, color="lab", position_weight=weight, seed=0)


def measure_position_weight() -> Measurement:
    """Connected regions of the cat at position weight 0 and 0.5."""
    image = cache.lesson_sample(WEIGHT_SAMPLE)
    runs = [cache.small_segmentation(image, weight_params(w)) for w in WEIGHTS]
    before, after = (region_summary(run.labels).count for run in runs)
    choice = 0 if after < 0.8 * before else 2 if after > 1.25 * before else 1
    text = (f"Position weight **{WEIGHTS[0]:g}**: **{before:,}** connected regions; "
            f"weight **{WEIGHTS[1]:g}**: **{after:,}** regions "
            f"({after / before:.0%} as many).")
    pictures = tuple(Picture(f"weight {w:g}: {n:,} regions", image,
                             ("lesson_weight", weight_params(w)), run.labels)
                     for w, n, run in zip(WEIGHTS, (before, after), runs))
    return Measurement(choice, text, float(after), pictures)


# --------------------------------------------------------------------------- #
# 2. The two blue discs, colour only
# --------------------------------------------------------------------------- #
DISCS = (1, 2)  # ground-truth labels of the left and right disc of "shapes"
COLOUR_ONLY = SegmentParams(k=4, color="lab", position_weight=0.0, seed=0)
WITH_POSITION = SegmentParams(k=6, color="lab", position_weight=1.0, seed=0)  # the sample's hint


def disc_segments(image: WorkingImage, params: SegmentParams) -> tuple[int, int]:
    """The segment most pixels of each blue disc fall in."""
    labels = cache.small_segmentation(image, params).labels  # (h, w)
    truth = cache.teaching_truth(image)  # (h, w)
    return tuple(int(np.bincount(labels[truth == disc]).argmax()) for disc in DISCS)


def measure_blue_discs() -> Measurement:
    """Whether the two same-blue discs of "shapes" share a segment, colour only."""
    image = cache.lesson_sample("shapes")
    left, right = disc_segments(image, COLOUR_ONLY)
    left_p, right_p = disc_segments(image, WITH_POSITION)
    choice = 0 if left == right else 1
    text = (f"Colour only (Lab, k = {COLOUR_ONLY.k}): left disc in segment **{left}**, right "
            f"disc in segment **{right}**: "
            + ("**one segment** (in two separate regions)." if left == right
               else "**two segments**.")
            + f" For contrast, with position weight {WITH_POSITION.position_weight:g} at "
              f"k = {WITH_POSITION.k}: segments {left_p} and {right_p}.")
    pictures = (
        Picture(f"colour only, k = {COLOUR_ONLY.k}", image, ("lesson_discs", COLOUR_ONLY),
                cache.small_segmentation(image, COLOUR_ONLY).labels),
        Picture(f"+ position 1, k = {WITH_POSITION.k}", image, ("lesson_discs", WITH_POSITION),
                cache.small_segmentation(image, WITH_POSITION).labels))
    return Measurement(choice, text, float(left == right), pictures)


# --------------------------------------------------------------------------- #
# 3 and 4. Lloyd's iterations: does the inertia rise, how many iterations
# --------------------------------------------------------------------------- #
LLOYD_SAMPLE, LLOYD_SEEDS = "astronaut", range(5)
# Random starts, run until no pixel changes segment (tol 0), at most 300 iterations.
RISE_TOLERANCE = 1e-9  # relative: a rise smaller than float rounding is not a rise


LLOYD_SETTINGS = {"sample": LLOYD_SAMPLE, "k": 6, "color": "lab", "position": True,
                  "position_weight": 0.3, "init": "random", "seed": 0}


def lloyd_params(seed: int) -> SegmentParams:
    """The runs of the Lloyd checkpoints: k = 6, Lab + position 0.3, random start."""
    return SegmentParams(k=6, color="lab", position_weight=0.3, init="random", seed=seed,
                         max_iter=300, tol=0.0)


def lloyd_runs():
    """The five cached runs (seeds 0..4) on the astronaut."""
    image = cache.lesson_sample(LLOYD_SAMPLE)
    return [cache.small_segmentation(image, lloyd_params(seed)) for seed in LLOYD_SEEDS]


def measure_inertia_rises() -> Measurement:
    """Count the iterations, over five runs, where the inertia went up."""
    runs = lloyd_runs()
    steps = rises = 0
    for run in runs:
        inertia = np.array([state.inertia for state in run.states])  # (n_iter + 1,)
        change = np.diff(inertia)
        steps += change.size
        rises += int(np.sum(change > RISE_TOLERANCE * inertia[:-1]))
    first = runs[0].states
    text = (f"Over **{len(runs)} runs** from random starts (**{steps}** assign + update steps "
            f"in all) the inertia went up **{rises}** times. Seed 0, for example: "
            f"{first[0].inertia:.4g} at the first assignment, {first[1].inertia:.4g} after one "
            f"step, {first[-1].inertia:.4g} at the end ({len(first) - 1} steps).")
    return Measurement(1 if rises == 0 else 0, text, float(rises))


def measure_iterations() -> Measurement:
    """The median number of iterations until no pixel changes segment, over five runs."""
    counts = sorted(run.n_iter for run in lloyd_runs())
    median = counts[len(counts) // 2]
    choice = 0 if median < 10 else 1 if median <= 100 else 2
    text = (f"Iterations until no pixel changed segment, seeds 0 to {len(counts) - 1}: "
            f"{', '.join(str(c) for c in counts)} (sorted): median **{median}**.")
    return Measurement(choice, text, float(median))


# --------------------------------------------------------------------------- #
# 5. Inertia against k
# --------------------------------------------------------------------------- #
ELBOW_SAMPLE = "cells"
ELBOW_PARAMS = SegmentParams(k=3, color="lab", position_weight=0.0, seed=0)  # Choosing k's try-this


def measure_inertia_vs_k() -> Measurement:
    """The best inertia for k = 2..12 on the cells (Choosing k's curve, the same cache)."""
    curve = cache.elbow(cache.lesson_sample(ELBOW_SAMPLE), ELBOW_PARAMS)
    inertias = list(curve.inertias)
    rises = sum(b > a for a, b in zip(inertias, inertias[1:]))
    true_k = list(curve.ks).index(3)
    after = inertias[true_k] - inertias[-1]
    choice = 1 if rises else 2 if after < 0.01 * inertias[true_k] else 0
    listed = ", ".join(f"{v:.0f}" for v in inertias)
    text = (f"Best inertia for k = {curve.ks[0]} to {curve.ks[-1]}: {listed}. It rose "
            f"**{rises}** times; from k = 3 (the true number of kinds of pixel) to "
            f"k = {curve.ks[-1]} it still fell by **{after / inertias[true_k]:.0%}**. "
            f"Suggested elbow: k = {curve.suggestion().k}.")
    return Measurement(choice, text, float(inertias[-1]))


# --------------------------------------------------------------------------- #
# 6. k-means++ against random starts on "stuck"
# --------------------------------------------------------------------------- #
STUCK_PARAMS = SegmentParams(k=8, color="rgb", position_weight=0.0, seed=0)
STUCK_SEEDS = 20  # as the starts page by default: the two share the cache
GOOD = 0.01  # within 1 % of the best inertia found


def measure_stuck_start() -> Measurement:
    """How often each kind of start ends within 1 % of the best inertia, 20 seeds each."""
    comparison = cache.starts(cache.lesson_sample("stuck"), STUCK_PARAMS, STUCK_SEEDS)
    plus = comparison.good_fraction("k-means++", GOOD)
    random = comparison.good_fraction("random", GOOD)
    choice = 0 if plus > random else 1 if random > plus else 2
    text = (f"Runs within 1 % of the best inertia, {STUCK_SEEDS} seeds each: k-means++ "
            f"**{plus:.0%}**, random **{random:.0%}** (worst inertia: "
            f"{comparison.worst('k-means++').inertia:.4g} against "
            f"{comparison.worst('random').inertia:.4g}).")
    return Measurement(choice, text, plus - random)


# --------------------------------------------------------------------------- #
# The questions, in the order of the lesson
# --------------------------------------------------------------------------- #
_SHAPES = get_sample("shapes").title
QUESTIONS: tuple[LessonQuestion, ...] = (
    LessonQuestion(
        _question("inertia_rises",
                  "During Lloyd's iterations (assign, update, assign, ...), does the inertia "
                  "ever go **up**?",
                  ("Yes, now and then", "Never: it falls or stays the same",
                   "Only near the end, when it overshoots"), 1,
                  "Five runs from random starts on the Astronaut (k = 6, Lab + position 0.3), "
                  "until no pixel changes segment; every step's inertia is compared with the "
                  "one before.", EXPLORE),
        measure_inertia_rises,
        "Each half-step can only lower J: *assign* gives every pixel its nearest centre, so "
        "no distance grows; *update* moves each centre to its pixels' mean, the point with "
        "the smallest sum of squared distances to them. That is why k-means always stops, "
        "though not always at the best answer.",
        "Step through the iterations on Explore", LLOYD_SETTINGS),
    LessonQuestion(
        _question("iterations",
                  "From a random start, how many iterations until **no pixel changes "
                  "segment**?",
                  ("Fewer than 10", "Between 10 and 100", "More than 100"), 1,
                  "The same five runs: the median number of assign + update steps.", EXPLORE),
        measure_iterations,
        "Most of the inertia goes in the first few steps; the rest are pixels on the borders "
        "hopping between segments. A limit of 50-100 iterations (or a small tolerance on "
        "centre movement) stops it when nothing visible changes any more.",
        "Watch the inertia curve on Explore", LLOYD_SETTINGS),
    LessonQuestion(
        _question("position_weight",
                  "On **Chelsea the cat** (k = 4, Lab colour), what happens to the number of "
                  "connected regions when the position weight goes from 0 to 0.5?",
                  ("It falls: fewer, bigger regions", "It stays about the same",
                   "It rises: more, smaller regions"), 0,
                  "Two runs (weight 0 and 0.5, seed 0); their connected regions are counted.",
                  COMPARE),
        measure_position_weight,
        "With position, a pixel far from a segment's centre pays for the distance, so specks "
        "of the same colour elsewhere join their neighbours' segment: fewer, more compact "
        "regions. Too much weight and segments become tiles, whatever the colour.",
        "Sweep the position weight on Side by side",
        {"sample": WEIGHT_SAMPLE, "k": WEIGHT_K, "color": "lab", "position": True,
         "position_weight": 0.3}),
    LessonQuestion(
        _question("blue_discs",
                  f"**{_SHAPES}**, colour only (Lab, k = 4): are the two blue discs one "
                  "segment or two?",
                  ("One segment (in two separate regions)", "Two segments"), 0,
                  "One colour-only run; the segment of most of each disc's pixels is read "
                  "off (against the sample's exact ground truth).", COMPARE),
        measure_blue_discs,
        "k-means only sees the features it is given. With colour alone the two discs are the "
        "same point in feature space, so they must share a segment: one *segment*, two "
        "*regions*. Position makes them different points; semantics (\"two objects\") needs "
        "more than clustering.",
        "Compare colour only and position on Side by side",
        {"sample": "shapes", "k": 6, "color": "lab", "position": True, "position_weight": 1.0}),
    LessonQuestion(
        _question("inertia_vs_k",
                  "On the **Synthetic cells** (Lab colour only, three kinds of pixel), what "
                  "does the best inertia do as k goes from 2 to 12?",
                  ("It keeps falling", "It falls, then rises after the best k",
                   "It falls to k = 3, then stays flat"), 0,
                  "The best of several runs for each k, as on the Choosing k page.",
                  CHOOSING_K),
        measure_inertia_vs_k,
        "More centres can only bring every pixel closer to one: the inertia falls all the "
        "way to 0 at one segment per pixel. So the lowest inertia never chooses k: look for "
        "the elbow, where one more segment stops buying much.",
        "Find the elbow on Choosing k",
        {"sample": ELBOW_SAMPLE, "k": 3, "color": "lab", "position": False}),
    LessonQuestion(
        _question("stuck_start",
                  "**Balloons (a stuck start)**, k = 8, RGB colour only: which kind of start "
                  "ends near the best segmentation (within 1 % of the lowest inertia) more "
                  "often?",
                  ("k-means++", "Random starts", "Both equally often"), 0,
                  "20 runs from each kind of start (seeds 0 to 19).", STARTS),
        measure_stuck_start,
        "A random start draws pixels uniformly, so most centres land in the big sky and field "
        "and some balloon gets none; Lloyd's steps cannot move a centre across to it. "
        "k-means++ picks far-away colours first. Several starts (best of N) also help.",
        "Compare the starts on What the start does",
        {"sample": "stuck", "k": 8, "color": "rgb", "position": False, "texture": False,
         "center": False}),
)
CHECKPOINTS: tuple[Checkpoint, ...] = tuple(q.checkpoint for q in QUESTIONS)
_BY_ID = {q.checkpoint.id: q for q in QUESTIONS}


def question(checkpoint_id: str) -> LessonQuestion:
    """The question of ``checkpoint_id`` ("lesson.position_weight")."""
    return _BY_ID[checkpoint_id]
