"""Benchmark: colour-only ``segment()`` against scikit-learn and oneDAL on all pixels.

With colour-only features (no texture, position or centre distance),
``segment()`` clusters each distinct colour once, weighted by its pixel count,
then expands the labels of every iteration back to the pixels (see
``segmentation/pipeline.py``). This script checks that this is worth it: the
same features (RGB by default), the same initial centres (our k-means++ on all
pixels), the same ``tol`` and ``max_iter``, against

* scikit-learn's compiled ``KMeans(algorithm="lloyd")`` fitted on ALL pixels,
* oneDAL through ``sklearnex.cluster.KMeans`` (skipped with a line if
  scikit-learn-intelex is not installed),

alternating the runs to spread machine noise evenly. The reference
implementations get the feature matrix ready-made (its extraction is not
timed), ours starts from the image. Printed per image and k:

* ``ours km``: ``result.elapsed_seconds``, our clustering (distinct colours,
  their features, k-means, expanding every state to the pixels);
* ``ours all``: the whole ``segment()`` call, with validation and statistics;
* medians of each, and the ratios ours km / sklearn, ours all / sklearn and
  ours km / oneDAL (< 1: we are faster);
* label agreement with scikit-learn (after matching our dark-to-bright
  numbering to theirs) and relative inertia difference, both inertias
  recomputed here in float64 from each run's labels and centres;
* iterations of ours / scikit-learn / oneDAL.

Every thread pool (BLAS, OpenMP, oneDAL's) is limited to the same number of
threads, printed at the start. Machines are noisy: read medians and ratios.

Usage::

    .venv/bin/python bench/colour_only.py                 # 2 MP and 12 MP, k = 4, 6, 8
    .venv/bin/python bench/colour_only.py --quick         # 2 MP only
    .venv/bin/python bench/colour_only.py --threads 2 --repeats 5 --color lab
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import exact_inertia, load_images  # noqa: E402
from segmentation import FeatureSpec, extract_features, kmeans_plusplus, segment  # noqa: E402

try:  # optional: oneDAL through scikit-learn-intelex
    import daal4py
    from sklearnex.cluster import KMeans as OneDALKMeans
except ImportError:
    daal4py = OneDALKMeans = None

MAX_ITER = 300




def time_ours(image, spec, k, init, tol):
    start = time.perf_counter()
    result = segment(image, k, spec=spec, init=init, tol=tol, max_iter=MAX_ITER)
    total = time.perf_counter() - start
    return total, result


def time_reference(model_class, X, k, init, tol):
    model = model_class(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=tol,
                        max_iter=MAX_ITER)
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start, model




def agreement(labels, reference, k) -> float:
    """Fraction of pixels with the same label once our numbering is matched to theirs."""
    table = np.bincount(labels.astype(np.int64) * k + reference, minlength=k * k).reshape(k, k)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum()) / labels.size


def benchmark(name, image, spec, k, repeats, tol) -> None:
    X = extract_features(image, spec).values  # (n, d) float32, for the references
    init = kmeans_plusplus(X, k, seed=0)  # the same starting centres for everybody
    ours_km, ours_all, sk_times, dal_times = [], [], [], []
    for _ in range(repeats):  # alternate, to share the noise fairly
        total, result = time_ours(image, spec, k, init, tol)
        ours_all.append(total)
        ours_km.append(result.elapsed_seconds)
        seconds, sk_model = time_reference(KMeans, X, k, init, tol)
        sk_times.append(seconds)
        if OneDALKMeans is not None:
            seconds, dal_model = time_reference(OneDALKMeans, X, k, init, tol)
            dal_times.append(seconds)
    km, full, sk = (statistics.median(t) for t in (ours_km, ours_all, sk_times))
    labels = result.labels.reshape(-1)
    inertia = exact_inertia(X, labels, result.states[-1].centers)
    sk_inertia = exact_inertia(X, sk_model.labels_, sk_model.cluster_centers_.astype(np.float64))
    line = (f"{name:<22} {k:>2} {km:>7.3f} {full:>7.3f} {sk:>7.3f} {km / sk:>6.3f} "
            f"{full / sk:>6.3f} ")
    if dal_times:
        dal = statistics.median(dal_times)
        line += f"{dal:>7.3f} {km / dal:>6.3f} "
        iters = f"{result.n_iter}/{sk_model.n_iter_}/{dal_model.n_iter_}"
    else:
        line += f"{'-':>7} {'-':>6} "
        iters = f"{result.n_iter}/{sk_model.n_iter_}/-"
    line += (f"{agreement(labels, sk_model.labels_, k) * 100:>8.3f}% "
             f"{(inertia - sk_inertia) / sk_inertia * 100:>+9.5f}% {iters:>10}")
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, nargs="+", default=[4, 6, 8], help="cluster counts")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--threads", type=int, default=1, help="threads for every pool")
    parser.add_argument("--color", default="rgb", choices=["rgb", "lab", "hsv", "gray"])
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--quick", action="store_true", help="skip the 12 MP image")
    args = parser.parse_args()

    spec = FeatureSpec(color=args.color)  # colour only: the distinct-colour path
    with threadpool_limits(limits=args.threads):
        if daal4py is not None:
            daal4py.daalinit(args.threads)
        pools = [f"{p['internal_api']}({p['num_threads']})" for p in threadpool_info()]
        print(f"numpy {np.__version__}; thread pools: {', '.join(pools)}")
        if daal4py is None:
            print("oneDAL: skipped, scikit-learn-intelex is not installed")
        else:
            print(f"oneDAL: sklearnex.cluster.KMeans, {daal4py.num_threads()} thread(s)")
        print(f"features: {spec.describe()}; tol={args.tol}; same k-means++ centres for all; "
              f"medians of {args.repeats} alternating runs\n")
        print(f"{'image':<22} {'k':>2} {'ours km':>7} {'ours all':>7} {'sklearn':>7} "
              f"{'km/sk':>6} {'all/sk':>6} {'oneDAL':>7} {'km/dal':>6} {'agree sk':>9} "
              f"{'inertia Δ':>10} {'iters':>10}")
        for name, image in load_images(args.quick).items():
            for k in args.k:
                benchmark(name, image, spec, k, args.repeats, args.tol)


if __name__ == "__main__":
    main()
