"""Issue 18 item 4: the beta-TCVAE's logged mi, tc and dim_kl are estimates, not the authors' minibatch-weighted
values offset by constants of order (K - 1) log N. On a factorised aggregate posterior (a 10^3 grid of Gaussian
posteriors, N = 1,000, K = 3: exact total correlation 0) this prints the logged terms of both estimators, averaged
over 20 batches of 256, beside the exact full-data decomposition (tests/models/test_beta_tcvae.py's ``batch_means``,
which that test checks) and the offset the authors' mws values carry.

    .venv/bin/python bench/beta_tcvae_logged_terms.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))
from test_beta_tcvae import batch_means  # the test's data and oracle, not a copy


def main() -> None:
    torch.set_num_threads(1)
    n, k = 1000, 3
    print(f"N = {n}, K = {k}; the authors' mws tc reads (K - 1) log N = {(k - 1) * math.log(n):.2f} nats high")
    print("estimator | logged mi tc dim_kl | exact mi tc dim_kl")
    for estimator in ("mss", "mws"):
        logged, exact = batch_means(estimator)
        print(f"{estimator} | " + " ".join(f"{v:.3f}" for v in logged.tolist()) + " | "
              + " ".join(f"{v:.3f}" for v in exact.tolist()))


if __name__ == "__main__":
    main()
