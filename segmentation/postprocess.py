"""Clean up a label image: from k-means "confetti" to regions a person would draw.

k-means labels pixels one by one, so on a photo a segment is rarely one piece:
it comes back as a few large regions plus thousands of specks where a pixel's
colour happened to lie nearer another centre. The steps below each fix one
kind of defect, and :func:`clean` runs them in this order:

1. :func:`remove_small_regions`: every connected region smaller than
   ``min_size`` pixels joins the neighbouring region it shares the longest
   border with (there is no "background": a speck in the sky becomes sky);
2. :func:`fill_holes`: a region enclosed by a single segment becomes part of it;
3. :func:`merge_similar_regions`: adjacent regions whose mean colours are
   closer than ``threshold`` (CIELAB ΔE) merge, greedily from the most similar
   pair, over a region adjacency graph (:class:`skimage.graph.RAG`,
   Trémeau & Colantoni 2000);
4. :func:`smooth_boundaries`: a majority (mode) filter over a disk of
   ``radius`` pixels straightens ragged borders.

Every step only *reassigns* pixels to segments that already exist, so the
result is still a labelling with the input's label values (some may vanish):
``k`` segments in, at most ``k`` out, and the command line can write it like
any other run. What changes is the number of **connected regions**, counted by
:func:`connected_regions` (4-connectivity); that is what a person sees, and
what scores against a human ground truth measure (see
:mod:`segmentation.metrics`).

:func:`clean_steps` keeps every intermediate in a :class:`CleanSteps` record,
for a step-by-step page. The defaults of :func:`clean` were chosen on the
ground-truth set of ``assets/ground_truth/`` by ``bench/quality.py --tune``
(see ``bench/README.md``), not on one image.

References
----------
Trémeau, A. and Colantoni, P. (2000). Regions adjacency graph applied to color
image segmentation. *IEEE Transactions on Image Processing*, 9(4), 735-744.
:doi:`10.1109/83.841950`

Soille, P. (2003). *Morphological Image Analysis*, 2nd ed., Springer: hole
filling (section 6.3.7) and the mode filter as a rank filter (section 4.4).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage import color, graph, measure
from skimage.morphology import disk

from ._validation import check_float, check_image, check_int, check_labels

__all__ = [
    "CLEAN_DEFAULTS",
    "CleanStep",
    "CleanSteps",
    "ConnectedRegions",
    "clean",
    "clean_steps",
    "connected_regions",
    "fill_holes",
    "merge_similar_regions",
    "region_adjacency_graph",
    "remove_small_regions",
    "smooth_boundaries",
]

# Defaults of clean(), chosen by `bench/quality.py --tune` over the whole
# ground-truth set (mean probabilistic Rand index and variation of information
# of segment() + clean() against the exact masks); see bench/README.md.
CLEAN_DEFAULTS = {
    "min_size": 128,  # pixels; regions smaller than this join a neighbour (0 = off)
    "fill": False,  # fill regions enclosed by a single segment (the search preferred off)
    "merge_threshold": 32.0,  # CIELAB ΔE between mean colours below which neighbours merge (0 = off)
    "smooth_radius": 1,  # radius of the majority filter, pixels (0 = off)
}

# A progress callback: called with (steps done, steps in total, name of the next step).
Progress = Callable[[int, int, str], None]


# --------------------------------------------------------------------------- #
# Connected regions
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class ConnectedRegions:
    """The connected pieces of a label image (4-connectivity)."""

    labels: np.ndarray  # (H, W) int32, region index 0..count-1 of each pixel, read-only
    count: int  # number of connected regions
    sizes: np.ndarray  # (count,) int64, pixels of each region, read-only
    segment: np.ndarray  # (count,) the input label of each region, read-only


def connected_regions(labels) -> ConnectedRegions:
    """Split every segment into its connected pieces.

    Two pixels are in the same region if they have the same label and are
    joined by a path of same-label pixels stepping up, down, left or right
    (4-connectivity). Unlike :func:`skimage.measure.label`'s default, no label
    value is treated as background: label 0 is a segment like any other.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, non-negative integers.

    Returns
    -------
    ConnectedRegions
        The region image (regions numbered in raster order of their first
        pixel), their count, sizes and the input label of each.

    Raises
    ------
    ValueError
        If ``labels`` is not a non-empty 2-D array of non-negative integers.

    Examples
    --------
    >>> regions = connected_regions(np.array([[0, 1, 0],
    ...                                       [0, 1, 0]]))
    >>> regions.count, regions.sizes.tolist(), regions.segment.tolist()
    (3, [2, 2, 2], [0, 1, 0])
    """
    labels = check_labels(labels, "labels")
    return _connected_regions(labels)


def _connected_regions(labels: np.ndarray) -> ConnectedRegions:
    """:func:`connected_regions` on validated labels."""
    # background=-1: no non-negative label is background, so label 0 counts too.
    regions = measure.label(labels, background=-1, connectivity=1).astype(np.int32) - 1  # (H, W)
    count = int(regions.max()) + 1
    sizes = np.bincount(regions.ravel(), minlength=count).astype(np.int64)  # (count,)
    segment = np.zeros(count, dtype=labels.dtype)
    segment[regions.ravel()] = labels.ravel()  # every pixel of a region has its label
    for array in (regions, sizes, segment):
        array.flags.writeable = False
    return ConnectedRegions(regions, count, sizes, segment)


def _region_borders(regions: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adjacent region pairs (a < b) and the length of their shared border in pixel edges.

    Assumes a validated region image with values 0..count-1. A border's length
    is the number of 4-neighbour pixel pairs (one in a, one in b).
    """
    first = np.concatenate([regions[:, :-1].ravel(), regions[:-1, :].ravel()])  # (p,)
    second = np.concatenate([regions[:, 1:].ravel(), regions[1:, :].ravel()])  # (p,)
    differ = first != second
    low = np.minimum(first[differ], second[differ]).astype(np.int64)
    high = np.maximum(first[differ], second[differ]).astype(np.int64)
    keys, lengths = np.unique(low * count + high, return_counts=True)  # one key per pair
    return keys // count, keys % count, lengths


# --------------------------------------------------------------------------- #
# 1. Remove small regions
# --------------------------------------------------------------------------- #
def remove_small_regions(labels, min_size: int) -> np.ndarray:
    """Give every connected region smaller than ``min_size`` to its neighbour.

    Regions are visited from the smallest up. A region with fewer than
    ``min_size`` pixels joins the adjacent region with which it shares the
    longest border (ties: the larger neighbour, then the smaller label), and
    takes its label; the grown region is visited again if it is still small.
    A region with no neighbour (the whole image) stays.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, non-negative integers.
    min_size : int
        Smallest region kept, in pixels: a region of exactly ``min_size``
        pixels stays, one of ``min_size - 1`` goes. 0 or 1 keeps everything.

    Returns
    -------
    (H, W) ndarray
        The new labels, same dtype; every value was already in ``labels``.

    Raises
    ------
    ValueError
        If ``labels`` is not a label image or ``min_size`` is negative.
    TypeError
        If ``min_size`` is not an integer.

    Notes
    -----
    Unlike :func:`skimage.morphology.remove_small_objects` (whose ``min_size``
    became ``max_size`` with a shifted boundary in scikit-image 0.26), nothing
    becomes background, and the boundary is stated here: *smaller than*
    ``min_size`` goes.

    Examples
    --------
    >>> labels = np.array([[0, 0, 0, 0],
    ...                    [0, 1, 1, 0],
    ...                    [0, 0, 1, 0]])
    >>> remove_small_regions(labels, 4).tolist()  # the 3-pixel island goes
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    >>> bool((remove_small_regions(labels, 3) == labels).all())  # and stays at 3
    True
    """
    labels = check_labels(labels, "labels")
    min_size = check_int(min_size, "min_size", low=0)
    return _remove_small_regions(labels, min_size)


def _remove_small_regions(labels: np.ndarray, min_size: int) -> np.ndarray:
    """:func:`remove_small_regions` on validated input."""
    regions = _connected_regions(labels)
    if regions.count == 1 or regions.sizes.min() >= min_size:
        return labels.copy()
    size = regions.sizes.copy()  # (count,) grows as regions absorb others
    segment = regions.segment
    parent = np.arange(regions.count)  # region -> region it joined (itself if alive)
    neighbours: list[dict[int, int]] = [{} for _ in range(regions.count)]  # border lengths
    for a, b, length in zip(*_region_borders(regions.labels, regions.count)):
        neighbours[a][b] = neighbours[b][a] = int(length)

    # 1. Visit small regions from the smallest (a heap; stale entries are skipped).
    heap = [(int(size[r]), r) for r in np.flatnonzero(size < min_size).tolist()]
    heapq.heapify(heap)
    while heap:
        region_size, region = heapq.heappop(heap)
        if parent[region] != region or size[region] != region_size or not neighbours[region]:
            continue  # already merged, grown since pushed, or alone in the image
        # 2. The neighbour with the longest shared border takes it.
        border = neighbours[region]
        target = max(border, key=lambda n: (border[n], size[n], -int(segment[n])))
        # 3. Merge: the target inherits the region's other borders.
        for other, length in border.items():
            del neighbours[other][region]
            if other != target:
                neighbours[target][other] = neighbours[target].get(other, 0) + length
                neighbours[other][target] = neighbours[target][other]
        neighbours[region] = {}
        parent[region] = target
        size[target] += region_size
        if size[target] < min_size:
            heapq.heappush(heap, (int(size[target]), target))

    # 4. Follow each region to the one that finally absorbed it.
    root = parent
    while not np.array_equal(root, parent[root]):
        root = parent[root]
    return segment[root][regions.labels].astype(labels.dtype)


# --------------------------------------------------------------------------- #
# 2. Fill holes
# --------------------------------------------------------------------------- #
def fill_holes(labels, max_size: int | None = None) -> np.ndarray:
    """Fill every hole of every segment with that segment's label.

    A *hole* of segment s is a connected part of the rest of the image that
    does not reach the image border: a lake of other pixels entirely enclosed
    by s (as :func:`scipy.ndimage.binary_fill_holes` defines it, with
    4-connected holes). It may hold several other segments. Holes are filled
    from the smallest up, so when segment A encloses B which encloses a hole,
    A's fill, the largest, wins.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, non-negative integers.
    max_size : int or None, optional
        Fill only holes of at most this many pixels; ``None`` fills all.

    Returns
    -------
    (H, W) ndarray
        The new labels, same dtype; every value was already in ``labels``.

    Raises
    ------
    ValueError
        If ``labels`` is not a label image or ``max_size`` is negative.
    TypeError
        If ``max_size`` is neither an integer nor None.

    Examples
    --------
    >>> labels = np.array([[0, 0, 0, 0],
    ...                    [0, 1, 2, 0],
    ...                    [0, 0, 0, 0],
    ...                    [3, 3, 3, 3]])
    >>> fill_holes(labels).tolist()  # the 1-2 lake inside segment 0 is filled
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [3, 3, 3, 3]]
    >>> fill_holes(labels, max_size=1).tolist()[1]  # only holes of 1 pixel: none here
    [0, 1, 2, 0]
    """
    labels = check_labels(labels, "labels")
    if max_size is not None:
        max_size = check_int(max_size, "max_size", low=0)
    return _fill_holes(labels, max_size)


def _fill_holes(labels: np.ndarray, max_size: int | None) -> np.ndarray:
    """:func:`fill_holes` on validated input."""
    holes = []  # (size, segment, slice, mask within the slice)
    boxes = ndi.find_objects(labels.astype(np.intp, copy=False) + 1)  # box of each label
    for value, box in enumerate(boxes):
        if box is None:
            continue  # label not present
        # A hole of the segment lies inside its bounding box: every pixel just
        # outside the box is not in the segment and connects to the border.
        mask = labels[box] == value  # (h, w) bool
        lakes, n_lakes = ndi.label(ndi.binary_fill_holes(mask) & ~mask)
        if n_lakes == 0:
            continue
        sizes = np.bincount(lakes.ravel())[1:]  # (n_lakes,)
        for lake in range(1, n_lakes + 1):
            if max_size is None or sizes[lake - 1] <= max_size:
                holes.append((int(sizes[lake - 1]), value, box, lakes == lake))
    filled = labels.copy()
    for _, value, box, lake in sorted(holes, key=lambda hole: hole[0]):  # largest painted last
        filled[box][lake] = value
    return filled


# --------------------------------------------------------------------------- #
# 3. Merge similar adjacent regions
# --------------------------------------------------------------------------- #
def region_adjacency_graph(labels, image) -> tuple[graph.RAG, ConnectedRegions]:
    """The region adjacency graph of the connected regions, weighted by mean-colour distance.

    Nodes are the connected regions of ``labels`` (:func:`connected_regions`),
    with their pixel count, total and mean CIELAB colour; an edge joins two
    regions that touch (4-connectivity), weighted by the Euclidean distance
    between their mean colours, ΔE (CIE76). It is the graph
    :func:`skimage.graph.rag_mean_color` builds with ``connectivity=1`` on a
    Lab image, computed with bincounts instead of a Python loop over pixels.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, non-negative integers.
    image : (H, W[, 3]) array_like
        The photo, uint8 or float in [0, 1].

    Returns
    -------
    RAG, ConnectedRegions
        The graph (node ``r`` is region ``r``) and the regions it was built on.

    Raises
    ------
    ValueError
        If ``labels`` or ``image`` is invalid or their shapes differ.

    Examples
    --------
    >>> image = np.zeros((1, 3, 3), dtype=np.uint8)
    >>> image[0, 2] = 255
    >>> rag, regions = region_adjacency_graph(np.array([[0, 1, 2]]), image)
    >>> sorted(rag.edges), round(rag.edges[1, 2]["weight"], 1)
    ([(0, 1), (1, 2)], 100.0)
    """
    lab, labels = _check_pair(labels, image)
    return _region_adjacency_graph(labels, lab)


def _check_pair(labels, image) -> tuple[np.ndarray, np.ndarray]:
    """Validate a label image and its photo; return (Lab image (H, W, 3) float64, labels)."""
    rgb = check_image(image)
    labels = check_labels(labels, "labels", shape=rgb.shape[:2])
    return color.rgb2lab(rgb.astype(np.float64)), labels


def _region_adjacency_graph(labels: np.ndarray, lab: np.ndarray) -> tuple[graph.RAG, ConnectedRegions]:
    """:func:`region_adjacency_graph` on validated input (``lab`` is (H, W, 3) CIELAB)."""
    regions = _connected_regions(labels)
    flat = regions.labels.ravel()
    totals = np.stack([np.bincount(flat, weights=lab[..., c].ravel(), minlength=regions.count)
                       for c in range(3)], axis=1)  # (count, 3) summed Lab colour
    rag = graph.RAG()
    for r in range(regions.count):
        rag.add_node(r, labels=[r], **{"pixel count": int(regions.sizes[r]),
                                       "total color": totals[r].copy(),
                                       "mean color": totals[r] / regions.sizes[r]})
    for a, b, _ in zip(*_region_borders(regions.labels, regions.count)):
        a, b = int(a), int(b)
        weight = float(np.linalg.norm(rag.nodes[a]["mean color"] - rag.nodes[b]["mean color"]))
        rag.add_edge(a, b, weight=weight)
    return rag, regions


def _merge_mean_color(rag: graph.RAG, src: int, dst: int) -> None:
    """merge_func of :func:`skimage.graph.merge_hierarchical`: dst takes src's pixels."""
    node = rag.nodes[dst]
    node["total color"] = node["total color"] + rag.nodes[src]["total color"]
    node["pixel count"] += rag.nodes[src]["pixel count"]
    node["mean color"] = node["total color"] / node["pixel count"]


def _mean_color_distance(rag: graph.RAG, src: int, dst: int, n: int) -> dict[str, float]:
    """weight_func of merge_hierarchical: the new edge weight is the mean-colour distance."""
    return {"weight": float(np.linalg.norm(rag.nodes[dst]["mean color"] - rag.nodes[n]["mean color"]))}


def merge_similar_regions(labels, image, threshold: float) -> np.ndarray:
    """Merge adjacent regions whose mean colours differ by less than ``threshold``.

    Greedy hierarchical merging on the region adjacency graph
    (:func:`region_adjacency_graph`, :func:`skimage.graph.merge_hierarchical`):
    repeatedly merge the two adjacent regions with the closest mean colours,
    recompute the merged region's mean, and stop when every adjacent pair
    differs by ``threshold`` or more. A merged region takes the label of its
    largest part.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, non-negative integers.
    image : (H, W[, 3]) array_like
        The photo, uint8 or float in [0, 1].
    threshold : float
        Colour distance in CIELAB units (ΔE, CIE76; about 2.3 is just
        noticeable, 10 is a clear difference). 0 merges nothing.

    Returns
    -------
    (H, W) ndarray
        The new labels, same dtype; every value was already in ``labels``.

    Raises
    ------
    ValueError
        If ``labels`` or ``image`` is invalid, their shapes differ, or
        ``threshold`` is negative or not finite.

    Examples
    --------
    >>> image = np.zeros((2, 4, 3), dtype=np.uint8)
    >>> image[:, 2:] = 200  # left half black, right half light gray
    >>> labels = np.array([[0, 1, 2, 2],
    ...                    [0, 1, 2, 2]])  # the black half in two segments
    >>> merge_similar_regions(labels, image, 5.0).tolist()
    [[0, 0, 2, 2], [0, 0, 2, 2]]
    """
    lab, labels = _check_pair(labels, image)
    threshold = check_float(threshold, "threshold", low=0)
    return _merge_similar_regions(labels, lab, threshold)


def _merge_similar_regions(labels: np.ndarray, lab: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`merge_similar_regions` on validated input (``lab`` is CIELAB)."""
    if threshold == 0:
        return labels.copy()
    rag, regions = _region_adjacency_graph(labels, lab)
    merged = graph.merge_hierarchical(
        regions.labels, rag, thresh=threshold, rag_copy=False, in_place_merge=True,
        merge_func=_merge_mean_color, weight_func=_mean_color_distance)  # (H, W) group index
    # Each group takes the label of its largest region.
    n_groups = int(merged.max()) + 1
    group_of_region = np.zeros(regions.count, dtype=np.int64)
    group_of_region[regions.labels.ravel()] = merged.ravel()
    # Small to large, ties by decreasing label: the largest (then smallest label) writes last.
    order = np.lexsort((-regions.segment.astype(np.int64), regions.sizes))
    label_of_group = np.zeros(n_groups, dtype=labels.dtype)
    label_of_group[group_of_region[order]] = regions.segment[order]
    return label_of_group[merged]


# --------------------------------------------------------------------------- #
# 4. Smooth boundaries
# --------------------------------------------------------------------------- #
def smooth_boundaries(labels, radius: int) -> np.ndarray:
    """Majority (mode) filter: each pixel takes the most common label within ``radius``.

    The neighbourhood is a disk (:func:`skimage.morphology.disk`). On a tie
    a pixel keeps its own label if it is among the most common, otherwise
    the smallest such label, so straight borders between two segments do not
    move.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, non-negative integers.
    radius : int
        Radius of the disk in pixels; 0 returns the labels unchanged.

    Returns
    -------
    (H, W) ndarray
        The new labels, same dtype; every value was already in ``labels``.

    Raises
    ------
    ValueError
        If ``labels`` is not a label image or ``radius`` is negative.
    TypeError
        If ``radius`` is not an integer.

    Examples
    --------
    >>> labels = np.zeros((5, 5), dtype=int)
    >>> labels[2, 2] = 1  # one odd pixel
    >>> labels[2, 3] = 1
    >>> int(smooth_boundaries(labels, 1).max())
    0
    """
    labels = check_labels(labels, "labels")
    radius = check_int(radius, "radius", low=0)
    return _smooth_boundaries(labels, radius)


def _smooth_boundaries(labels: np.ndarray, radius: int) -> np.ndarray:
    """:func:`smooth_boundaries` on validated input."""
    if radius == 0:
        return labels.copy()
    footprint = disk(radius).astype(np.float32)
    values = np.unique(labels)  # (m,) labels present
    best_count = np.full(labels.shape, -1.0, dtype=np.float32)
    best = labels.copy()
    for value in values:  # one convolution per label: its count in every disk
        mask = labels == value
        # +0.5 for the pixel's own label: wins ties, never a strict majority of others.
        count = ndi.correlate(mask.astype(np.float32), footprint, mode="nearest") + 0.5 * mask
        better = count > best_count  # strict: the smaller label wins a tie between others
        best[better] = value
        best_count[better] = count[better]
    return best


# --------------------------------------------------------------------------- #
# The whole pipeline
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class CleanStep:
    """One step of :func:`clean_steps` and the label image after it."""

    name: str  # "input", "remove small regions", "fill holes", "merge similar", "smooth"
    parameter: str  # the step's setting as text, e.g. "min_size=64"; "" for the input
    labels: np.ndarray  # (H, W) labels after this step, read-only
    n_segments: int  # distinct label values after this step
    n_regions: int  # connected regions (4-connectivity) after this step
    seconds: float  # wall time of this step


@dataclass(frozen=True)
class CleanSteps:
    """Every intermediate of the clean-up, first the input, then each step switched on."""

    steps: tuple[CleanStep, ...]  # steps[0] is the input; steps[-1].labels is the result

    @property
    def labels(self) -> np.ndarray:
        """The cleaned labels (H, W)."""
        return self.steps[-1].labels

    @property
    def seconds(self) -> float:
        """Total wall time of the steps."""
        return sum(step.seconds for step in self.steps)


def clean_steps(
    labels,
    image,
    *,
    min_size: int = CLEAN_DEFAULTS["min_size"],
    fill: bool = CLEAN_DEFAULTS["fill"],
    merge_threshold: float = CLEAN_DEFAULTS["merge_threshold"],
    smooth_radius: int = CLEAN_DEFAULTS["smooth_radius"],
    progress: Progress | None = None,
) -> CleanSteps:
    """Run the clean-up steps in order and keep every intermediate.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, e.g. ``segment(image).labels``.
    image : (H, W[, 3]) array_like
        The photo, uint8 or float in [0, 1] (used by the merge step).
    min_size : int, optional
        :func:`remove_small_regions`' minimum region size; 0 switches it off.
    fill : bool, optional
        Run :func:`fill_holes` (all holes).
    merge_threshold : float, optional
        :func:`merge_similar_regions`' ΔE threshold; 0 switches it off.
    smooth_radius : int, optional
        :func:`smooth_boundaries`' radius; 0 switches it off.
    progress : callable, optional
        Called as ``progress(done, total, name)`` before each step and once
        more as ``progress(total, total, "done")``.

    Returns
    -------
    CleanSteps
        The input, then one :class:`CleanStep` per step switched on, with its
        labels, segment and region counts and time.

    Raises
    ------
    ValueError
        If ``labels`` or ``image`` is invalid, their shapes differ, or a
        parameter is out of range.
    TypeError
        If ``fill`` is not a bool or an integer parameter is not an integer.

    Examples
    --------
    >>> image = np.zeros((6, 6), dtype=np.uint8)
    >>> labels = np.zeros((6, 6), dtype=int)
    >>> labels[2, 2] = 1  # a one-pixel speck
    >>> steps = clean_steps(labels, image, min_size=2, fill=False, merge_threshold=0,
    ...                     smooth_radius=0)
    >>> [(s.name, s.parameter, s.n_segments, s.n_regions) for s in steps.steps]
    [('input', '', 2, 2), ('remove small regions', 'min_size=2', 1, 1)]
    """
    lab, labels = _check_pair(labels, image)
    min_size = check_int(min_size, "min_size", low=0)
    if not isinstance(fill, (bool, np.bool_)):
        raise TypeError(f"fill={fill!r} must be True or False, not {type(fill).__name__}")
    merge_threshold = check_float(merge_threshold, "merge_threshold", low=0)
    smooth_radius = check_int(smooth_radius, "smooth_radius", low=0)
    plan = [  # (name, parameter text, function of labels), in the lesson's order
        ("remove small regions", f"min_size={min_size}",
         lambda x: _remove_small_regions(x, min_size), min_size > 1),
        ("fill holes", "all holes", lambda x: _fill_holes(x, None), bool(fill)),
        ("merge similar", f"threshold={merge_threshold:g}",
         lambda x: _merge_similar_regions(x, lab, merge_threshold), merge_threshold > 0),
        ("smooth", f"radius={smooth_radius}",
         lambda x: _smooth_boundaries(x, smooth_radius), smooth_radius > 0),
    ]
    plan = [step[:3] for step in plan if step[3]]
    steps = [_record("input", "", labels.copy(), 0.0)]
    for done, (name, parameter, run) in enumerate(plan):
        if progress is not None:
            progress(done, len(plan), name)
        started = time.perf_counter()
        result = run(steps[-1].labels)
        steps.append(_record(name, parameter, result, time.perf_counter() - started))
    if progress is not None:
        progress(len(plan), len(plan), "done")
    return CleanSteps(tuple(steps))


def _record(name: str, parameter: str, labels: np.ndarray, seconds: float) -> CleanStep:
    """A read-only CleanStep with its counts."""
    labels.flags.writeable = False
    n_regions = int(measure.label(labels, background=-1, connectivity=1).max())
    return CleanStep(name, parameter, labels, int(np.unique(labels).size), n_regions, seconds)


def clean(
    labels,
    image,
    *,
    min_size: int = CLEAN_DEFAULTS["min_size"],
    fill: bool = CLEAN_DEFAULTS["fill"],
    merge_threshold: float = CLEAN_DEFAULTS["merge_threshold"],
    smooth_radius: int = CLEAN_DEFAULTS["smooth_radius"],
) -> np.ndarray:
    """Clean up a label image: remove small regions, fill holes, merge similar, smooth.

    The whole pipeline of this module with the defaults of
    :data:`CLEAN_DEFAULTS`; see :func:`clean_steps` for the parameters and
    the intermediates.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, e.g. ``segment(image).labels``.
    image : (H, W[, 3]) array_like
        The photo, uint8 or float in [0, 1].
    min_size, fill, merge_threshold, smooth_radius : optional
        As in :func:`clean_steps`.

    Returns
    -------
    (H, W) ndarray
        The cleaned labels, a writeable array of the input's dtype whose
        values all occur in ``labels``.

    Raises
    ------
    ValueError
        If an input is invalid or a parameter out of range.
    TypeError
        If a parameter has the wrong type.

    Examples
    --------
    >>> image = np.zeros((16, 16, 3), dtype=np.uint8)
    >>> image[:, 8:] = 255
    >>> labels = (image[..., 0] > 0).astype(int)
    >>> labels[1, 1] = 1  # a speck of the wrong segment
    >>> bool((clean(labels, image) == (image[..., 0] > 0)).all())
    True
    """
    steps = clean_steps(labels, image, min_size=min_size, fill=fill,
                        merge_threshold=merge_threshold, smooth_radius=smooth_radius)
    return steps.labels.copy()
