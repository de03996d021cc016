"""Benchmark: our pure-NumPy k-means against scikit-learn and oneDAL, same run.

Two parts, each on the float32 features of real images (RGB + 0.3-weighted
row/column position, so every pixel is a distinct row):

1. **Lloyd's iterations**, initialisation excluded: every competitor starts
   from the same centres (our k-means++ or k random distinct rows) with the same
   ``tol`` and ``max_iter``. Competitors: scikit-learn ``KMeans`` with
   ``algorithm="lloyd"`` and ``"elkan"``, and oneDAL through
   scikit-learn-intelex (``sklearnex.cluster.KMeans``) when it is installed.
2. **k-means++ seeding**: :func:`segmentation.kmeans.kmeans_plusplus` against
   :func:`sklearn.cluster.kmeans_plusplus` (both greedy, same number of trials).

Runs alternate between competitors to spread machine noise evenly; the tables
print medians and the ratios ours / theirs (below 1: we are faster), the
fraction of pixels with the same label as scikit-learn's Lloyd, and the
relative inertia difference, both inertias recomputed here in float64 from the
labels and centres (scikit-learn and oneDAL sum float32 distances in float32).

Targets of the "Core II" issue: Lloyd <= 0.5x scikit-learn's lloyd and <= 0.7x
its elkan, k-means++ <= 0.5x, >= 99.5 % identical labels, inertia within 0.1 %.

Usage::

    pip install -r requirements-bench.txt        # adds scikit-learn-intelex
    python bench/kmeans_vs_sklearn.py             # 2 MP and 12 MP, k = 4, 6, 8
    python bench/kmeans_vs_sklearn.py --quick     # 2 MP, k = 4 and 8, k-means++ start only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus as sklearn_kmeans_plusplus
from threadpoolctl import threadpool_info

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import exact_inertia, load_images  # noqa: E402
from segmentation import FeatureSpec, extract_features  # noqa: E402
from segmentation.kmeans import kmeans, kmeans_plusplus  # noqa: E402

try:  # the fastest peer, optional
    from sklearnex.cluster import KMeans as OneDALKMeans
except ImportError:  # pragma: no cover - depends on the machine
    OneDALKMeans = None

SPEC = FeatureSpec(color="rgb", position=True, position_weight=0.3)
TARGETS = {"lloyd": 0.5, "elkan": 0.7, "k-means++": 0.5}


def random_rows(X, k, seed) -> np.ndarray:
    """k distinct rows drawn uniformly: the same 'random' start for every competitor."""
    rng = np.random.default_rng(seed)
    while True:
        rows = X[rng.choice(len(X), size=k, replace=False)].astype(np.float64)
        if len(np.unique(rows, axis=0)) == k:
            return rows


def run_ours(X, k, init, tol):
    state = kmeans(X, k, init=init, tol=tol, max_iter=300)
    return state.labels, state.centers, state.iteration


def sklearn_runner(estimator, algorithm=None):
    def run(X, k, init, tol):
        options = {} if algorithm is None else {"algorithm": algorithm}
        model = estimator(n_clusters=k, init=init, n_init=1, tol=tol, max_iter=300, **options)
        model.fit(X)
        return model.labels_, model.cluster_centers_.astype(np.float64), model.n_iter_
    return run


def timed(run, *args):
    start = time.perf_counter()
    result = run(*args)
    return time.perf_counter() - start, result


def lloyd_table(images, ks, starts, repeats, tol) -> list[tuple[str, float]]:
    """Part 1; returns (competitor, ratio) pairs for the summary."""
    competitors = {"ours": run_ours, "lloyd": sklearn_runner(KMeans, "lloyd"),
                   "elkan": sklearn_runner(KMeans, "elkan")}
    if OneDALKMeans is not None:
        competitors["oneDAL"] = sklearn_runner(OneDALKMeans, "lloyd")
    others = [name for name in competitors if name != "ours"]
    print(f"{'image':<6} {'k':>2} {'start':<9}" + "".join(f" {name + ' s':>9}" for name in competitors)
          + "".join(f" {'/' + name:>8}" for name in others)
          + f" {'agree':>8} {'inertia Δ':>10}  iterations", flush=True)
    ratios = []
    for name, image in images.items():
        X = extract_features(image, SPEC).values  # (n, 5) float32, shared by all
        for k in ks:
            for start in starts:
                init = kmeans_plusplus(X, k, seed=0) if start == "k-means++" else random_rows(X, k, 0)
                times = {competitor: [] for competitor in competitors}
                results = {}
                for _ in range(repeats):  # alternate to share the noise fairly
                    for competitor, run in competitors.items():
                        seconds, results[competitor] = timed(run, X, k, init, tol)
                        times[competitor].append(seconds)
                medians = {c: statistics.median(t) for c, t in times.items()}
                labels, centers, _ = results["ours"]
                sk_labels, sk_centers, _ = results["lloyd"]
                agreement = float(np.mean(labels == sk_labels))
                ours_inertia = exact_inertia(X, labels, centers)
                sk_inertia = exact_inertia(X, sk_labels, sk_centers)
                row_ratios = {c: medians["ours"] / medians[c] for c in others}
                ratios += [(c, r) for c, r in row_ratios.items()]
                iterations = "/".join(str(results[c][2]) for c in competitors)
                print(f"{name:<6} {k:>2} {start:<9}"
                      + "".join(f" {medians[c]:>9.3f}" for c in competitors)
                      + "".join(f" {row_ratios[c]:>8.2f}" for c in others)
                      + f" {agreement * 100:>7.3f}% {(ours_inertia / sk_inertia - 1) * 100:>+9.4f}%"
                      + f"  {iterations}", flush=True)
    return ratios


def plusplus_table(images, ks, repeats) -> list[tuple[str, float]]:
    """Part 2: greedy k-means++ seeding, ours against scikit-learn's."""
    print(f"\n{'image':<6} {'k':>2} {'ours s':>9} {'sklearn s':>9} {'ratio':>7}", flush=True)
    ratios = []
    for name, image in images.items():
        X = extract_features(image, SPEC).values
        for k in ks:
            ours, theirs = [], []
            for seed in range(repeats):
                ours.append(timed(lambda: kmeans_plusplus(X, k, seed=seed))[0])
                theirs.append(timed(lambda: sklearn_kmeans_plusplus(X, k, random_state=seed))[0])
            ratio = statistics.median(ours) / statistics.median(theirs)
            ratios.append(("k-means++", ratio))
            print(f"{name:<6} {k:>2} {statistics.median(ours):>9.3f} "
                  f"{statistics.median(theirs):>9.3f} {ratio:>7.2f}", flush=True)
    return ratios


def summary(ratios) -> None:
    print("\nTargets (ratio = ours / theirs, medians):")
    for competitor, target in TARGETS.items():
        values = [r for c, r in ratios if c == competitor]
        if values:
            verdict = "met" if max(values) <= target else "missed"
            print(f"  {competitor:<10} <= {target}: worst {max(values):.2f}, best {min(values):.2f}"
                  f" -> {verdict}")
    onedal = [r for c, r in ratios if c == "oneDAL"]
    if onedal:
        print(f"  oneDAL (no target): ours / oneDAL from {min(onedal):.2f} to {max(onedal):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, nargs="+", default=None, help="cluster counts")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--quick", action="store_true", help="2 MP only, k-means++ start only")
    args = parser.parse_args()
    ks = args.k or ([4, 8] if args.quick else [4, 6, 8])
    starts = ["k-means++"] if args.quick else ["k-means++", "random"]

    pools = [f"{p['internal_api']}({p['num_threads']} threads)" for p in threadpool_info()]
    print(f"numpy {np.__version__}; thread pools: {', '.join(pools)}")
    print(f"oneDAL: {'sklearnex.cluster.KMeans' if OneDALKMeans else 'not installed (skipped)'}")
    print(f"features: {SPEC.describe()}; tol={args.tol}; same start for every competitor; "
          f"medians of {args.repeats} alternating runs\n")
    images = load_images(args.quick)
    ratios = lloyd_table(images, ks, starts, args.repeats, args.tol)
    ratios += plusplus_table(images, ks, args.repeats)
    summary(ratios)


if __name__ == "__main__":
    main()
