"""How the MI estimators and MIG variants scale with N: time and peak memory, K = 10 latents.

Factors are dSprites-like (sizes 3, 6, 40, 32, 32; uniform random); codes mix the factors linearly
plus noise. Peak memory is the tracemalloc peak of one extra run (the CPU code paths are numpy, so
tracemalloc sees their arrays). The naive baseline evaluates the Monte-Carlo MI with a full (N, N)
log-density matrix per latent, which is what the tiled estimator avoids.

Last, `mig_dlib` against a port of disentanglement_lib's `_compute_mig` (`dlib_mig_port` below) on one
N = 100,000 code: median times of both, their ratio, and whether the two values are equal.

    python bench/metrics_scaling.py            # N = 1e3, 1e4, 1e5 (+ 737,280 for the closed form)
    python bench/metrics_scaling.py --quick    # N = 1e3, 1e4 only
    python bench/metrics_scaling.py --dlib-only --repeats 7   # only the comparison with dlib's MIG
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import sklearn.metrics
from scipy.special import logsumexp

from models.estimators import factor_mutual_information
from models.metrics import mig_chen, mig_dlib

FACTOR_SIZES = np.array([3, 6, 40, 32, 32])  # dSprites: shape, scale, orientation, posX, posY
N_LATENTS = 10
DSPRITES_N = 737_280


def make_codes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """factors (n, 5) ints; mu (n, 10) = normalised factors @ W + noise; logvar (n, 10) in [-4, 0]."""
    rng = np.random.default_rng(seed)
    factors = np.stack([rng.integers(0, s, size=n) for s in FACTOR_SIZES], axis=1)
    mixing = rng.standard_normal((len(FACTOR_SIZES), N_LATENTS))
    mu = (factors / FACTOR_SIZES) @ mixing + 0.1 * rng.standard_normal((n, N_LATENTS))
    return factors, mu, rng.uniform(-4.0, 0.0, size=(n, N_LATENTS))


def naive_mc_mi(mu: np.ndarray, logvar: np.ndarray, seed: int) -> np.ndarray:
    """Baseline: one z per point, H(Z_j) from the full (N, N) matrix log N(z_m; mu_n, sigma_n^2), per latent."""
    z = mu + np.exp(0.5 * logvar) * np.random.default_rng(seed).standard_normal(mu.shape)
    h = np.empty(mu.shape[1])
    for j in range(mu.shape[1]):
        log_q = -0.5 * (
            math.log(2 * math.pi)
            + logvar[None, :, j]
            + (z[:, None, j] - mu[None, :, j]) ** 2 / np.exp(logvar[None, :, j])
        )  # (N, N)
        h[j] = np.mean(math.log(len(mu)) - logsumexp(log_q, axis=1))
    return h - 0.5 * (math.log(2 * math.pi) + 1.0 + logvar.mean(axis=0))


def dlib_mig_port(mus: np.ndarray, ys: np.ndarray, num_bins: int = 20) -> float:
    """PORT, for this comparison only: disentanglement_lib's MIG core, as in its repository.

    google-research/disentanglement_lib `evaluation/metrics/mig.py::_compute_mig` with the helpers it calls
    from `evaluation/metrics/utils.py` (`_histogram_discretize`, `discrete_mutual_info`, `discrete_entropy`),
    inlined statement by statement. mus: (num_codes, N) and ys: (num_factors, N), dlib's layout, as
    `generate_batch_factor_code` returns them (the transpose of (N, K) arrays, so rows are strided).
    """
    discretized_mus = np.zeros_like(mus)  # _histogram_discretize
    for i in range(mus.shape[0]):
        discretized_mus[i, :] = np.digitize(mus[i, :], np.histogram(mus[i, :], num_bins)[1][:-1])
    m = np.zeros([discretized_mus.shape[0], ys.shape[0]])  # discrete_mutual_info
    for i in range(discretized_mus.shape[0]):
        for j in range(ys.shape[0]):
            m[i, j] = sklearn.metrics.mutual_info_score(ys[j, :], discretized_mus[i, :])
    entropy = np.zeros(ys.shape[0])  # discrete_entropy
    for j in range(ys.shape[0]):
        entropy[j] = sklearn.metrics.mutual_info_score(ys[j, :], ys[j, :])
    sorted_m = np.sort(m, axis=0)[::-1]
    return float(np.mean(np.divide(sorted_m[0, :] - sorted_m[1, :], entropy[:])))


def compare_with_dlib(n: int, repeats: int, seed: int) -> None:
    """Print the median time of mig_dlib and of dlib_mig_port on the same (n, 10) code, the ratio, the values."""
    factors, mu, _ = make_codes(n, seed)
    ours = measure_median(lambda: mig_dlib(mu, factors), repeats)
    theirs = measure_median(lambda: dlib_mig_port(mu.T, factors.T), repeats)
    value, reference = mig_dlib(mu, factors).value, dlib_mig_port(mu.T, factors.T)
    print(f"MIG (dlib) on N = {n}, K = {N_LATENTS}, median of {repeats}:")
    print(f"  factorscope mig_dlib    {ours:.3f} s   value {value!r}")
    print(f"  dlib _compute_mig port  {theirs:.3f} s   value {reference!r}")
    print(f"  ratio factorscope / dlib = {ours / theirs:.2f}; values identical: {value == reference}")


def measure_median(fn: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of `repeats` calls of fn."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(fn: Callable[[], object], repeats: int) -> tuple[float, float, bool]:
    """(median seconds, tracemalloc peak MiB, timed_under_tracemalloc). repeats=0: time the traced run."""
    median = measure_median(fn, repeats) if repeats else None
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    traced_time = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return (traced_time if median is None else median), peak, median is None


def methods(n_samples: int, seed: int) -> dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], object]]:
    """name -> fn(factors, mu, logvar). MIG (Chen) scores the 4 factors Chen uses (shape excluded)."""
    return {
        "gaussian_mi": lambda f, mu, lv: factor_mutual_information(mu, lv, "gaussian"),
        "monte_carlo_mi": lambda f, mu, lv: factor_mutual_information(
            mu, lv, "monte_carlo", n_samples=n_samples, rng=seed
        ),
        "naive_mc_mi_NxN": lambda f, mu, lv: naive_mc_mi(mu, lv, seed),
        "mig_dlib": lambda f, mu, lv: mig_dlib(mu, f),
        "mig_chen": lambda f, mu, lv: mig_chen(mu, lv, f[:, 1:], FACTOR_SIZES[1:], n_samples=n_samples, rng=seed),
    }


def plan(quick: bool) -> dict[str, list[int]]:
    """Which N each method runs at: the naive baseline only where (N, N) fits, closed form up to dSprites."""
    ns = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    return {
        "gaussian_mi": ns if quick else ns + [DSPRITES_N],
        "monte_carlo_mi": ns,
        "naive_mc_mi_NxN": [1_000, 3_000] if quick else [1_000, 10_000],
        "mig_dlib": ns,
        "mig_chen": ns,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N up to 1e4 only")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per (method, N) below 1e5")
    parser.add_argument("--n-samples", type=int, default=1_000, help="Monte-Carlo samples per entropy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dlib-only", action="store_true", help="only the mig_dlib vs dlib port comparison")
    args = parser.parse_args()
    if not args.dlib_only:
        scaling_table(args)
    compare_with_dlib(100_000, max(args.repeats, 1), args.seed)


def scaling_table(args: argparse.Namespace) -> None:
    """Time and peak memory of every method at each N of its plan."""
    fns, runs = methods(args.n_samples, args.seed), plan(args.quick)
    print(f"K = {N_LATENTS}, factor sizes {FACTOR_SIZES.tolist()}, MC n_samples = {args.n_samples}")
    print(f"{'method':<18}{'N':>9}{'time_s':>10}{'peak_MiB':>11}")
    peaks: dict[str, dict[int, float]] = {}
    for name, ns in runs.items():
        for n in ns:
            factors, mu, logvar = make_codes(n, args.seed)
            repeats = args.repeats if n < 100_000 and not name.startswith("naive") else 0
            seconds, peak, traced = measure(lambda: fns[name](factors, mu, logvar), repeats)  # noqa: B023
            peaks.setdefault(name, {})[n] = peak
            print(f"{name:<18}{n:>9}{seconds:>10.3f}{'*' if traced else ' '}{peak:>10.1f}", flush=True)
    print("* timed once, under tracemalloc")
    for name, by_n in peaks.items():
        lo, hi = min(by_n), max(by_n)
        ratio = by_n[hi] / by_n[lo]
        print(
            f"{name:<18} memory x{ratio:8.1f} from N={lo} to N={hi}  (N grew x{hi / lo:.0f}, N^2 x{(hi / lo) ** 2:.0f})"
        )


if __name__ == "__main__":
    main()
