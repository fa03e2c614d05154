"""oi-VAE config (Ainsworth et al. 2018, seed 000; SCIENCE.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import require
from ...nn import NetConfig


@dataclass(frozen=True)
class OIVAEConfig(NetConfig):
    group_input_dim: int = 1  # p: rows of each latent-to-group matrix W^(g) (p x K)
    lam: float = 1.0  # lambda: group-lasso weight on the columns W^(g)[:, j]; 0 = grouped VAE, no sparsity
    w_lr: float | None = None  # plain-SGD step size eta_W on W (None: the training lr); prox threshold eta_W * lam
    w_init_std: float = 1.0  # W ~ N(0, w_init_std^2); large, so early prox steps do not prune (reference code)
    prox_warmup: int = 0  # optimizer steps before the first proximal step (plain SGD on W until then)
    generator_hidden: tuple[int, ...] = (16,)  # hidden widths of each f_g: R^p -> R^{d_g}; () = linear
    theta_prior: float = 1.0  # weight of -log N(theta; 0, I) on the generator weights; 0 = no prior
    beta: float = 1.0  # weight of KL(q(z|x) || p(z))

    def __post_init__(self) -> None:
        super().__post_init__()
        require(1 <= self.group_input_dim <= 64, f"group_input_dim must be in 1..64, got {self.group_input_dim}")
        require(self.lam >= 0, f"lam must be >= 0, got {self.lam}")
        require(self.w_lr is None or self.w_lr > 0, f"w_lr must be > 0 or null, got {self.w_lr}")
        require(self.w_init_std > 0, f"w_init_std must be > 0, got {self.w_init_std}")
        require(self.prox_warmup >= 0, f"prox_warmup must be >= 0, got {self.prox_warmup}")
        require(all(h >= 1 for h in self.generator_hidden),
                f"generator_hidden must list positive widths, got {list(self.generator_hidden)}")
        require(self.theta_prior >= 0, f"theta_prior must be >= 0, got {self.theta_prior}")
        require(self.beta >= 0, f"beta must be >= 0, got {self.beta}")
