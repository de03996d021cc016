"""Quality against ground truth: every method on the whole set of assets/ground_truth/.

Run from the repository root:

    .venv/bin/python bench/quality.py            # the comparison table
    .venv/bin/python bench/quality.py --tune     # the search that chose clean()'s defaults

Every method is scored on connected regions (segmentation.metrics.evaluate_segmentation)
against the exact masks; the table gives mean ± sd over the images of the
probabilistic Rand index (PRI, here the Rand index: one truth per image),
variation of information (VoI, bits), covering, ARI, boundary F-measure
(2 px), the number of regions, and the median time per image.

The methods, the scores and the table are segmentation.benchmark's
(score_methods, format_table): the app's *Ground truth* page shows the same
table from the same code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmentation.benchmark import (  # noqa: E402
    BOUNDARY_TOLERANCE,
    K,
    POSITION_WEIGHT,
    Scores,
    format_table,
    score_methods,
)
from segmentation.pipeline import segment  # noqa: E402
from segmentation.postprocess import (  # noqa: E402
    CLEAN_DEFAULTS,
    fill_holes,
    merge_similar_regions,
    remove_small_regions,
    smooth_boundaries,
)
from segmentation.samples import GROUND_TRUTH_DIR, load_ground_truth_set  # noqa: E402


def load_set() -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    """(name, image (H, W, 3) uint8, truth (H, W) int) of every ground-truth scene."""
    return load_ground_truth_set()


def score(labels, truth) -> dict[str, float]:
    """The table's scores of one label image (the grid search ranks settings by them)."""
    scores = Scores.of(labels, truth, tolerance=BOUNDARY_TOLERANCE)
    return {"PRI": scores.rand_index, "VoI": scores.variation_of_information}


def table(scenes, k: int) -> None:
    """Print mean ± sd of each score and the median time, one row per method.

    The methods and the table are segmentation.benchmark's: the app's Ground
    truth page shows the same numbers from the same code.
    """
    where = (GROUND_TRUTH_DIR.relative_to(Path.cwd()) if GROUND_TRUTH_DIR.is_relative_to(Path.cwd())
             else GROUND_TRUTH_DIR)
    print(f"{len(scenes)} images of {where}, k={k}, scored on connected regions; "
          "mean ± sd over images, median time per image")
    print(format_table(score_methods(scenes, k)))


def tune(scenes, k: int) -> None:
    """Grid search of clean()'s parameters over the whole set; print the best by PRI and VoI.

    The k-means labels are computed once per image; each setting is scored by
    mean PRI and mean VoI over all images. The chosen setting maximises
    PRI - VoI / 10 (both matter; VoI in bits spans about ten times PRI's range).
    """
    base = [(segment(image, k, color="lab", position_weight=POSITION_WEIGHT).labels, image, truth)
            for _, image, truth in scenes]
    # A first, coarser run over min_size (0, 16, 64, 256), merge_threshold (0, 4, 8, 16)
    # and smooth_radius (0..3) had its best at the largest min_size and threshold and
    # smooth_radius 1; this grid extends it there (min_size 0 is also very slow to merge).
    grid = {"min_size": (128, 256, 512, 1024), "fill": (False, True),
            "merge_threshold": (8.0, 16.0, 24.0, 32.0), "smooth_radius": (0, 1, 2)}
    # The steps run in order, so each prefix of settings is computed once and reused.
    totals: dict[tuple, list] = {}
    for labels, image, truth in base:
        for min_size in grid["min_size"]:
            step1 = remove_small_regions(labels, min_size)
            for fill in grid["fill"]:
                step2 = fill_holes(step1) if fill else step1
                for threshold in grid["merge_threshold"]:
                    step3 = merge_similar_regions(step2, image, threshold)
                    for radius in grid["smooth_radius"]:
                        scores = score(smooth_boundaries(step3, radius), truth)
                        totals.setdefault((min_size, fill, threshold, radius), []).append(scores)
    results = []
    for values, scores in totals.items():
        setting = dict(zip(grid, values))
        pri = float(np.mean([s["PRI"] for s in scores]))
        voi = float(np.mean([s["VoI"] for s in scores]))
        results.append((pri - voi / 10, pri, voi, setting))
    results.sort(key=lambda row: -row[0])
    print(f"clean() grid search over {len(scenes)} images, k={k}, position_weight={POSITION_WEIGHT}:")
    for objective, pri, voi, setting in results[:8]:
        print(f"  PRI {pri:.3f}  VoI {voi:.3f}  (PRI - VoI/10 = {objective:.3f})  {setting}")
    plain = [score(labels, truth) for labels, _, truth in base]
    print(f"  no clean-up: PRI {np.mean([s['PRI'] for s in plain]):.3f}  "
          f"VoI {np.mean([s['VoI'] for s in plain]):.3f}")
    print(f"  current CLEAN_DEFAULTS: {CLEAN_DEFAULTS}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="search clean()'s parameters")
    parser.add_argument("--k", type=int, default=K, help="segments of the k-means runs")
    args = parser.parse_args(argv)
    scenes = load_set()
    if args.tune:
        tune(scenes, args.k)
    else:
        table(scenes, args.k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
