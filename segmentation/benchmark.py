"""Score segmentation methods against exact ground truth: the comparison table of the lesson.

One table, computed by one function (:func:`score_methods`), printed by
``bench/quality.py`` and shown by the app's *Ground truth* page:

* the **methods** (:func:`methods`): our k-means on colour only, on colour +
  position, k-means followed by :func:`segmentation.postprocess.clean`,
  SLIC superpixels, Felzenszwalb-Huttenlocher and hierarchical merging, each
  with fixed settings (:data:`K`, :data:`POSITION_WEIGHT`, ...);
* the **scores** (:class:`Scores`): every number of
  :func:`segmentation.metrics.evaluate_segmentation`, which scores *connected
  regions* (a k-means segment scattered in 300 specks counts as 300
  regions, as a person drawing the regions would see it);
* the **table** (:class:`BenchmarkTable`): one :class:`MethodRow` per method
  with the scores of every scene, their mean and standard deviation, and the
  median time; :func:`format_table` writes it as Markdown.

Two helpers explain one segmentation against its truth on the page:
:func:`confusion_by_match` (the confusion table with each true region's
matched segment on the diagonal) and :func:`best_match` (the truth painted
in the matched segments, and the pixels whose segment is not their region's
match).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from ._validation import check_int
from .methods import run_felzenszwalb, run_hierarchy, run_kmeans, run_slic
from .metrics import (
    Confusion,
    SegmentationQuality,
    compare_to_ground_truth,
    confusion_matrix,
    evaluate_segmentation,
)
from .pipeline import segment
from .postprocess import clean

__all__ = [
    "BOUNDARY_TOLERANCE",
    "BestMatch",
    "BenchmarkTable",
    "K",
    "Method",
    "MethodRow",
    "POSITION_WEIGHT",
    "SCORE_FIELDS",
    "Scores",
    "TABLE_COLUMNS",
    "best_match",
    "confusion_by_match",
    "format_table",
    "methods",
    "score_methods",
    "table_cell",
]

K = 4  # segments of the k-means runs and regions of the hierarchy (the app's default k)
POSITION_WEIGHT = 0.3  # "colour + position": the app's default position weight
BOUNDARY_TOLERANCE = 2.0  # pixels: a boundary this close to a true one counts as found
N_SUPERPIXELS = 400  # SLIC's superpixels (shown as a method, and under the hierarchy)
FELZENSZWALB = {"scale": 500.0, "min_size": 500}  # as the benchmark numbers

# A progress callback: progress(runs done, runs in total, what runs next).
Progress = Callable[[int, int, str], None]


# --------------------------------------------------------------------------- #
# The methods
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Method:
    """One segmentation method with fixed settings, as scored in the table."""

    name: str  # its row in the table, e.g. "k-means + clean"
    description: str  # one sentence on what it does
    run: Callable[[np.ndarray], np.ndarray]  # (H, W, 3) uint8 image -> (H, W) int labels


def _kmeans_clean(image: np.ndarray, k: int) -> np.ndarray:
    """k-means on colour + position, then the clean-up pipeline with its tuned defaults."""
    return clean(segment(image, k, color="lab", position_weight=POSITION_WEIGHT).labels, image)


def methods(k: int = K) -> tuple[Method, ...]:
    """The methods of the comparison table, in its order.

    Parameters
    ----------
    k : int, optional
        Segments of the k-means runs, regions of the hierarchy.

    Returns
    -------
    tuple of Method

    Raises
    ------
    ValueError
        If ``k`` is below 2.
    TypeError
        If ``k`` is not an integer.

    Examples
    --------
    >>> [method.name for method in methods(4)]  # doctest: +NORMALIZE_WHITESPACE
    ['k-means (colour)', 'k-means (colour+position)', 'k-means + clean', 'SLIC (400)',
     'Felzenszwalb (500, 500)', 'hierarchy (k=4)']
    """
    k = check_int(k, "k", low=2)
    scale, min_size = FELZENSZWALB["scale"], FELZENSZWALB["min_size"]
    return (
        Method("k-means (colour)", f"k-means, k={k}, Lab colour only.",
               lambda image: run_kmeans(image, k, color="lab", position_weight=0).labels),
        Method("k-means (colour+position)",
               f"k-means, k={k}, Lab colour + position (weight {POSITION_WEIGHT:g}).",
               lambda image: run_kmeans(image, k, color="lab",
                                        position_weight=POSITION_WEIGHT).labels),
        Method("k-means + clean", "k-means (colour+position), then clean(): small regions "
                                  "removed, similar neighbours merged, borders smoothed.",
               lambda image: _kmeans_clean(image, k)),
        Method(f"SLIC ({N_SUPERPIXELS})", f"SLIC superpixels, about {N_SUPERPIXELS} of them.",
               lambda image: run_slic(image, N_SUPERPIXELS).labels),
        Method(f"Felzenszwalb ({scale:g}, {min_size})",
               f"Felzenszwalb-Huttenlocher graph method, scale {scale:g}, min size {min_size}.",
               lambda image: run_felzenszwalb(image, scale=scale, min_size=min_size).labels),
        Method(f"hierarchy (k={k})", f"SLIC superpixels merged by mean colour down to {k} "
                                     "regions.",
               lambda image: run_hierarchy(image, k).labels),
    )


# --------------------------------------------------------------------------- #
# The scores
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Scores:
    """The scores of one segmentation against its truth, on connected regions.

    Examples
    --------
    >>> truth = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    >>> scores = Scores.of(1 - truth, truth)  # the same regions, other numbers
    >>> scores.adjusted_rand, scores.variation_of_information, scores.mean_best_iou
    (1.0, 0.0, 1.0)
    """

    rand_index: float  # PRI with one truth (= Rand index): pixel pairs agreed on, 0..1
    variation_of_information: float  # VoI in bits = vi_split + vi_merge; 0 = identical
    vi_split: float  # bits: true regions cut into several regions (over-segmentation)
    vi_merge: float  # bits: true regions merged into one region (under-segmentation)
    covering: float  # size-weighted best IoU of each true region, 0..1
    adjusted_rand: float  # ARI: 1 identical, about 0 chance
    mean_best_iou: float  # mean IoU of the one-to-one (Hungarian) matching, 0..1
    boundary_precision: float  # predicted boundary pixels near a true boundary, 0..1
    boundary_recall: float  # true boundary pixels near a predicted boundary, 0..1
    boundary_f: float  # harmonic mean of the two
    n_regions: int  # connected regions of the prediction

    @classmethod
    def from_quality(cls, quality: SegmentationQuality) -> Scores:
        """The scores of an :func:`~segmentation.metrics.evaluate_segmentation` report."""
        return cls(quality.rand_index, quality.variation_of_information, quality.vi_split,
                   quality.vi_merge, quality.covering, quality.adjusted_rand,
                   quality.mean_best_iou, quality.boundary.precision, quality.boundary.recall,
                   quality.boundary.f_measure, quality.n_regions)

    @classmethod
    def of(cls, labels, truth, tolerance: float = BOUNDARY_TOLERANCE) -> Scores:
        """Score ``labels`` against ``truth`` (connected regions, boundary ``tolerance`` px).

        Raises
        ------
        ValueError
            As :func:`~segmentation.metrics.evaluate_segmentation`.
        """
        return cls.from_quality(evaluate_segmentation(labels, truth, tolerance=tolerance))


SCORE_FIELDS = tuple(field.name for field in fields(Scores))
# The columns bench/quality.py prints (header -> Scores field), in order.
TABLE_COLUMNS: dict[str, str] = {
    "PRI": "rand_index", "VoI": "variation_of_information", "covering": "covering",
    "ARI": "adjusted_rand", "boundary F": "boundary_f", "regions": "n_regions",
}


# --------------------------------------------------------------------------- #
# The table
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class MethodRow:
    """One method on every scene of the set."""

    method: str  # the method's name
    scenes: tuple[str, ...]  # scene names, in order
    scores: tuple[Scores, ...]  # the scores of each scene
    seconds: tuple[float, ...]  # wall time of the method on each scene

    def values(self, name: str) -> np.ndarray:
        """(n_scenes,) float: the score ``name`` (a :class:`Scores` field) of every scene."""
        if name not in SCORE_FIELDS:
            raise ValueError(f"name={name!r} is not a score; choose one of {', '.join(SCORE_FIELDS)}")
        return np.array([getattr(scores, name) for scores in self.scores], dtype=float)

    def mean(self, name: str) -> float:
        """Mean of the score ``name`` over the scenes."""
        return float(self.values(name).mean())

    def sd(self, name: str) -> float:
        """Standard deviation (over the scenes, ddof = 0) of the score ``name``."""
        return float(self.values(name).std())

    @property
    def median_seconds(self) -> float:
        """Median time of the method per scene."""
        return float(np.median(self.seconds))


@dataclass(frozen=True)
class BenchmarkTable:
    """Every method scored on every scene (see :func:`score_methods`)."""

    k: int  # k of the k-means runs and the hierarchy
    scenes: tuple[str, ...]  # scene names, in order
    rows: tuple[MethodRow, ...]  # one per method, in the order of methods(k)

    def row(self, method: str) -> MethodRow:
        """The row of ``method``."""
        for row in self.rows:
            if row.method == method:
                return row
        raise ValueError(f"method={method!r} is not in the table; choose one of "
                         f"{', '.join(row.method for row in self.rows)}")


def score_methods(scenes: Sequence[tuple[str, np.ndarray, np.ndarray]], k: int = K, *,
                  progress: Progress | None = None) -> BenchmarkTable:
    """Run every method of :func:`methods` on every scene and score it against the truth.

    Parameters
    ----------
    scenes : sequence of (name, image, truth)
        ``image`` (H, W, 3) uint8, ``truth`` (H, W) int, e.g.
        :func:`segmentation.samples.load_ground_truth_set`.
    k : int, optional
        Segments of the k-means runs, regions of the hierarchy.
    progress : callable, optional
        Called as ``progress(done, total, method)`` before each run and
        ``progress(total, total, "done")`` at the end.

    Returns
    -------
    BenchmarkTable

    Raises
    ------
    ValueError
        If ``scenes`` is empty, ``k`` is invalid, or a truth does not match
        its image.

    Examples
    --------
    >>> image = np.zeros((40, 40, 3), dtype=np.uint8)
    >>> image[:, 20:] = 200
    >>> truth = (np.arange(40) >= 20).astype(int)[None, :].repeat(40, axis=0)
    >>> table = score_methods([("halves", image, truth)], k=2)
    >>> table.row("k-means (colour)").mean("adjusted_rand")
    1.0
    """
    scenes = tuple(scenes)
    if not scenes:
        raise ValueError("scenes must hold at least one (name, image, truth), got none")
    chosen = methods(k)
    total, done = len(chosen) * len(scenes), 0
    rows = []
    for method in chosen:
        scores, seconds = [], []
        for name, image, truth in scenes:
            if progress is not None:
                progress(done, total, f"{method.name} on {name}")
            started = time.perf_counter()
            labels = method.run(image)
            seconds.append(time.perf_counter() - started)
            scores.append(Scores.of(labels, truth))
            done += 1
        rows.append(MethodRow(method.name, tuple(s[0] for s in scenes), tuple(scores),
                              tuple(seconds)))
    if progress is not None:
        progress(total, total, "done")
    return BenchmarkTable(int(k), tuple(s[0] for s in scenes), tuple(rows))


def format_table(table: BenchmarkTable) -> str:
    """The table as Markdown: mean ± sd of each score over the scenes, median time.

    This is what ``bench/quality.py`` prints, line for line.
    """
    header = f"| {'method':<26} | " + " | ".join(f"{c:^13}" for c in TABLE_COLUMNS) + " | time (s) |"
    lines = [header, "|" + "|".join("-" * len(part) for part in header.split("|")[1:-1]) + "|"]
    for row in table.rows:
        cells = [table_cell(row, column) for column in TABLE_COLUMNS]
        lines.append(f"| {row.method:<26} | " + " | ".join(cell.center(13) for cell in cells)
                     + f" | {row.median_seconds:8.3f} |")
    return "\n".join(lines)


def table_cell(row: MethodRow, column: str) -> str:
    """``"0.623 ± 0.228"``: mean ± sd of one column of :data:`TABLE_COLUMNS` (regions: integers)."""
    name = TABLE_COLUMNS[column]
    precision = 0 if name == "n_regions" else 3
    return f"{row.mean(name):.{precision}f} ± {row.sd(name):.{precision}f}"


# --------------------------------------------------------------------------- #
# One segmentation against its truth, for the page
# --------------------------------------------------------------------------- #
def confusion_by_match(labels, truth) -> Confusion:
    """The confusion table with each true region's matched segment on the diagonal.

    Rows are the true regions (label values of ``truth``), columns the
    predicted segments (label values of ``labels``, not connected regions).
    Column ``i`` is the segment matched to row ``i`` by the Hungarian
    matching of :func:`~segmentation.metrics.compare_to_ground_truth`;
    unmatched segments follow, largest first. A perfect segmentation is a
    diagonal; a row spread over several columns is a region split apart, a
    column with several filled rows is regions merged.

    Raises
    ------
    ValueError
        As :func:`~segmentation.metrics.confusion_matrix`.

    Examples
    --------
    >>> confusion = confusion_by_match(np.array([[5, 5, 9, 9]]), np.array([[0, 0, 1, 1]]))
    >>> confusion.table.tolist(), confusion.predicted_labels.tolist()
    ([[2, 0], [0, 2]], [5, 9])
    >>> confusion_by_match(np.array([[9, 9, 5, 5]]), np.array([[0, 0, 1, 1]])).predicted_labels.tolist()
    [9, 5]
    """
    confusion = confusion_matrix(labels, truth)
    partner = {match.truth_label: match.predicted_label
               for match in compare_to_ground_truth(labels, truth).matching}
    columns = {int(label): index for index, label in enumerate(confusion.predicted_labels)}
    order = [columns[partner[int(t)]] for t in confusion.truth_labels if int(t) in partner]
    sizes = confusion.table.sum(axis=0)  # (n_predicted,)
    rest = sorted(set(range(len(columns))) - set(order), key=lambda j: (-sizes[j], j))
    order = np.array(order + rest, dtype=np.intp)
    table = np.ascontiguousarray(confusion.table[:, order])
    predicted = np.ascontiguousarray(confusion.predicted_labels[order])
    for array in (table, predicted):
        array.flags.writeable = False
    return Confusion(table, confusion.truth_labels, predicted)


@dataclass(frozen=True)
class BestMatch:
    """The truth seen through the best one-to-one match of segments to true regions."""

    truth_as_segments: np.ndarray  # (H, W) int64: the segment matched to each pixel's true region, -1 if none
    errors: np.ndarray  # (H, W) bool: the pixel's segment is not its true region's match
    error_share: float  # errors.mean(), 0..1


def best_match(labels, truth) -> BestMatch:
    """Paint each true region in its matched segment and mark the pixels that disagree.

    Segments are matched to true regions one-to-one by the Hungarian
    algorithm on IoU (:func:`~segmentation.metrics.compare_to_ground_truth`),
    on label values. A pixel is an error when its segment is not the one
    matched to its true region (a true region without a match is all error).

    Raises
    ------
    ValueError
        As :func:`~segmentation.metrics.compare_to_ground_truth`.

    Examples
    --------
    >>> match = best_match(np.array([[7, 7, 7, 3]]), np.array([[0, 0, 1, 1]]))
    >>> match.truth_as_segments.tolist(), match.errors.tolist(), match.error_share
    ([[7, 7, 3, 3]], [[False, False, True, False]], 0.25)
    """
    scores = compare_to_ground_truth(labels, truth)
    labels, truth = np.asarray(labels), np.asarray(truth)
    values, index = np.unique(truth.reshape(-1), return_inverse=True)
    partner = np.full(values.size, -1, dtype=np.int64)  # (n_truth,) segment of each region
    for match in scores.matching:
        partner[np.searchsorted(values, match.truth_label)] = match.predicted_label
    painted = partner[index].reshape(truth.shape)  # (H, W)
    errors = painted != labels
    for array in (painted, errors):
        array.flags.writeable = False
    return BestMatch(painted, errors, float(errors.mean()))
