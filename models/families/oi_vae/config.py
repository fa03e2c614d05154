"""oi-VAE config (Ainsworth et al. 2018, seed 000; SCIENCE.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ...config import MAX_LR, MAX_WEIGHT, Doc, require, require_between
from ...nn import NetConfig

MAX_W_INIT_STD = 100.0


@dataclass(frozen=True)
class OIVAEConfig(NetConfig):
    group_input_dim: Annotated[int, Doc("p: rows of each latent-to-group matrix W^(g) (p x K)")] = 1
    lam: Annotated[float, Doc("lambda: group-lasso weight on the columns W^(g)[:, j]; larger cuts more latent-to-"
                              "group links to exact zeros; 0: a grouped VAE, no sparsity")] = 1.0
    w_lr: Annotated[float | None, Doc("plain-SGD step size eta_W on W (empty: the training lr); the proximal "
                                      "threshold is eta_W x lambda")] = None
    w_init_std: Annotated[float, Doc("W ~ N(0, w_init_std^2) at the start; large, so early proximal steps prune "
                                     "nothing (as the reference code)")] = 1.0
    prox_warmup: Annotated[int, Doc("optimizer steps before the first proximal step (plain SGD on W until "
                                    "then)")] = 0
    generator_hidden: Annotated[tuple[int, ...], Doc("hidden widths of each group's generator f_g: R^p -> R^{d_g} "
                                                     "(empty: linear)")] = (16,)
    theta_prior: Annotated[float, Doc("weight of -log N(theta; 0, I) on the generators' weights (0: no "
                                      "prior)")] = 1.0
    beta: Annotated[float, Doc("weight of KL(q(z|x) || p(z))")] = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        require(1 <= self.group_input_dim <= 64, f"group_input_dim must be in 1..64, got {self.group_input_dim}",
                "group_input_dim")
        for name in ("lam", "theta_prior", "beta"):
            require_between(name, getattr(self, name), 0, MAX_WEIGHT)
        if self.w_lr is not None:
            require_between("w_lr", self.w_lr, 0, MAX_LR, above=True)
        require_between("w_init_std", self.w_init_std, 0, MAX_W_INIT_STD, above=True)
        require(self.prox_warmup >= 0, f"prox_warmup must be >= 0, got {self.prox_warmup}", "prox_warmup")
        require(all(h >= 1 for h in self.generator_hidden),
                f"generator_hidden must list positive widths, got {list(self.generator_hidden)}", "generator_hidden")
