"""Benchmark: our pure-NumPy k-means against scikit-learn's compiled Lloyd.

Both run on the same float32 features (RGB + 0.3-weighted row/column position)
of real images, from the same initial centres (our k-means++), with the same
``tol`` and ``max_iter``, alternating ours/theirs to spread machine noise
evenly. Printed per image and k:

* median wall time of each and the ratio ours / scikit-learn (< 1: we are faster),
* label agreement (fraction of pixels with the same label),
* relative inertia difference (ours - theirs) / theirs, both recomputed here
  in float64 from each run's labels and centres (scikit-learn accumulates its
  own inertia in float32 for float32 data: at 12 MP it is off by 0.2-0.4 %),
* iterations run by each,
* peak memory of one run of each (tracemalloc, NumPy allocations included).

Machines are noisy: read the ratios and medians, not single times.

Usage::

    .venv/bin/python bench/kmeans_vs_sklearn.py            # all images, k = 4 and 8
    .venv/bin/python bench/kmeans_vs_sklearn.py --quick    # small images only, fewer repeats
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from skimage import data, transform
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_info

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmentation import FeatureSpec, extract_features, kmeans_plusplus  # noqa: E402
from segmentation.kmeans import kmeans  # noqa: E402

SPEC = FeatureSpec(color="rgb", position=True, position_weight=0.3)


def load_images(quick: bool) -> dict[str, np.ndarray]:
    """The benchmark images: 0.26 MP, 2 MP and a 12 MP upscale."""
    images = {"astronaut 0.26 MP": data.astronaut(), "retina 2.0 MP": data.retina()}
    if not quick:
        retina = data.retina()
        side = int(np.sqrt(12e6))
        upscaled = transform.resize(retina, (side, side), order=1, anti_aliasing=False)
        images["retina upscaled 12 MP"] = (upscaled * 255).round().astype(np.uint8)
    return images


def time_ours(X, k, init, tol):
    start = time.perf_counter()
    state = kmeans(X, k, init=init, tol=tol, max_iter=300)
    return time.perf_counter() - start, state.labels, state.centers, state.iteration


def time_sklearn(X, k, init, tol):
    model = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=tol, max_iter=300)
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start, model.labels_, model.cluster_centers_, model.n_iter_


def exact_inertia(X, labels, centers, chunk=1 << 20) -> float:
    """Sum of squared distances to the labelled centres, in float64."""
    total = 0.0
    for start in range(0, len(X), chunk):
        rows = X[start:start + chunk].astype(np.float64)
        total += float(np.sum((rows - centers[labels[start:start + chunk]]) ** 2))
    return total


def peak_memory_mb(run, *args) -> float:
    """Peak traced memory (MB) of one call, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    run(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def benchmark(name, image, k, repeats, tol):
    X = extract_features(image, SPEC).values  # (n, 5) float32, shared by both
    init = kmeans_plusplus(X, k, seed=0)
    ours_times, theirs_times = [], []
    for _ in range(repeats):  # alternate to share the noise fairly
        t, labels, centers, n_iter = time_ours(X, k, init, tol)
        ours_times.append(t)
        t, sk_labels, sk_centers, sk_iter = time_sklearn(X, k, init, tol)
        theirs_times.append(t)
    ours, theirs = statistics.median(ours_times), statistics.median(theirs_times)
    agreement = float(np.mean(labels == sk_labels))
    inertia = exact_inertia(X, labels, centers)
    sk_inertia = exact_inertia(X, sk_labels, sk_centers.astype(np.float64))
    inertia_diff = (inertia - sk_inertia) / sk_inertia
    mem_ours = peak_memory_mb(time_ours, X, k, init, tol)
    mem_theirs = peak_memory_mb(time_sklearn, X, k, init, tol)
    print(f"{name:<23} {k:>3} {ours:>9.3f} {theirs:>9.3f} {ours / theirs:>7.2f} "
          f"{agreement * 100:>9.3f}% {inertia_diff * 100:>+9.4f}% {n_iter:>4}/{sk_iter:<4} "
          f"{mem_ours:>8.0f} {mem_theirs:>8.0f}", flush=True)
    return ours / theirs, agreement, abs(inertia_diff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, nargs="+", default=[4, 8], help="cluster counts")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per case")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--quick", action="store_true", help="skip the 12 MP image")
    args = parser.parse_args()

    blas = [f"{p['internal_api']}({p['num_threads']} threads)" for p in threadpool_info()]
    print(f"numpy {np.__version__}; thread pools: {', '.join(blas)}")
    print(f"features: {SPEC.describe()}; tol={args.tol}; same k-means++ centres for both\n")
    print(f"{'image':<23} {'k':>3} {'ours s':>9} {'sklearn s':>9} {'ratio':>7} "
          f"{'agreement':>10} {'inertia Δ':>10} {'iters':>9} {'MB ours':>8} {'MB sk':>8}")
    for name, image in load_images(args.quick).items():
        repeats = args.repeats or (3 if image.size > 20e6 else 5 if image.size > 3e6 else 7)
        for k in args.k:
            benchmark(name, image, k, repeats, args.tol)


if __name__ == "__main__":
    main()
