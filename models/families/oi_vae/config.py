"""oi-VAE config (Ainsworth et al. 2018, seed 000; SCIENCE.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from ...config import STEP_SIZE, WEIGHT, WIDTHS, Between, Doc
from ...nn import NetConfig

MAX_W_INIT_STD = 100.0
ThetaScaling = Literal["full_data", "reference"]


@dataclass(frozen=True)
class OIVAEConfig(NetConfig):
    group_input_dim: Annotated[int, Doc("p: rows of each latent-to-group matrix W^(g) (p x K)"), Between(1, 64)] = 1
    lam: Annotated[float, Doc("lambda: group-lasso weight on the columns W^(g)[:, j]; larger cuts more latent-to-"
                              "group links to exact zeros; 0: a grouped VAE, no sparsity"), WEIGHT] = 1.0
    w_lr: Annotated[float | None, Doc("plain-SGD step size eta_W on W (empty: the training lr); the proximal "
                                      "threshold is eta_W x lambda"), STEP_SIZE] = None
    w_init_std: Annotated[float, Doc("W ~ N(0, w_init_std^2) at the start; large, so early proximal steps prune "
                                     "nothing (as the reference code)"), Between(0, MAX_W_INIT_STD, above=True)] = 1.0
    prox_warmup: Annotated[int, Doc("optimizer steps before the first proximal step (plain SGD on W until "
                                    "then)"), Between(0)] = 0
    generator_hidden: Annotated[tuple[int, ...], Doc("hidden widths of each group's generator f_g: R^p -> R^{d_g} "
                                                     "(empty: linear)"), WIDTHS] = (16,)
    theta_prior: Annotated[float, Doc("weight of -log N(theta; 0, I) on the generators' weights (0: no "
                                      "prior)"), WEIGHT] = 1.0
    theta_prior_scaling: Annotated[ThetaScaling, Doc(
        "full_data: -log p(theta) divided by N (the training-set size) beside the per-example mean likelihood, "
        "i.e. seed 000's full-data objective per example; reference: undivided, as the public reference code "
        "(kept for the bars reproduction; on small data sets it pulls the generators to zero and the encoder "
        "collapses)")] = "full_data"
    beta: Annotated[float, Doc("weight of KL(q(z|x) || p(z))"), WEIGHT] = 1.0  # NetConfig checks every range
