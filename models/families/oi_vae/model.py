"""oi-VAE: one encoder, per-group generators, a group lasso on the latent-to-group matrices trained by
proximal SGD (Ainsworth et al. 2018, seed 000, Alg. 1; SCIENCE.md section 4)."""

from __future__ import annotations

import torch
from torch import Tensor

from ...base import DataSpec, LatentModel, LossOutput
from ...datasets import Group
from ...distributions import DiagonalGaussian
from ...nn import build_encoder, build_likelihood
from ...registry import register_family
from .config import OIVAEConfig
from .generators import GroupedGenerator, resolve_groups
from .prox import group_soft_threshold


@register_family("oi_vae", config=OIVAEConfig,
                 summary="oi-VAE: per-group generators; a group lasso on the latent-to-group weights (proximal SGD)")
class OIVAE(LatentModel):
    config: OIVAEConfig
    steps_taken: Tensor  # buffer (): optimizer steps so far (long)

    def __init__(self, config: OIVAEConfig, data: DataSpec) -> None:
        super().__init__(config, data)
        self.groups = resolve_groups(data)
        self.encoder = build_encoder(config, data)
        self.generator = GroupedGenerator(self.groups, config.latent_dim, config.group_input_dim,
                                          config.generator_hidden, config.w_init_std)
        self.likelihood = build_likelihood(config, data)  # Gaussian: learned per-feature log-scale (the D_g)
        self.register_buffer("steps_taken", torch.zeros((), dtype=torch.long))  # for prox_warmup; checkpointed

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups)

    def feature_groups(self) -> tuple[Group, ...]:
        """The G feature groups (the rows of ``latent_to_group``); ``models.protocols.Grouped``."""
        return self.groups

    def latent_to_group(self) -> Tensor:
        """The heatmap H (G, K), H[g, j] = ||W^(g)[:, j]||_2; pruned links are exactly 0.0."""
        with torch.no_grad():
            return self.generator.column_norms().detach().clone()

    def raw(self, z: Tensor) -> Tensor:
        """(B, K) -> (B, *shape): Gaussian means or Bernoulli logits."""
        return self.generator(z).unflatten(1, self.data.shape)

    def encode(self, x: Tensor) -> DiagonalGaussian:
        return DiagonalGaussian(*self.encoder(x))

    def decode(self, z: Tensor) -> Tensor:
        return self.likelihood.mean(self.raw(z))

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        return self.likelihood.log_prob(self.raw(z), x)

    def loss(self, x: Tensor) -> LossOutput:
        """Negative collapsed ELBO with the reference code's scaling: per-example mean of (recon + beta KL),
        plus -log p(theta) and the group lasso, neither divided by N. The group lasso enters the value only
        (detached): its gradient is replaced by the proximal step in ``after_optimizer_step``."""
        posterior = self.encode(x)
        z = posterior.rsample()  # (B, K)
        recon = -self.log_likelihood(x, z)  # (B,)
        kl = self.prior.kl(posterior, z)  # (B,)
        theta = 0.5 * self.config.theta_prior * self.generator.theta_sq_norm() / self.theta_divisor
        lasso = self.config.lam * self.generator.column_norms().sum()
        smooth = (recon + self.config.beta * kl).mean() + theta
        total = smooth + lasso.detach()
        terms = {"loss": total, "recon": recon.mean(), "kl": kl.mean(), "theta_prior": theta, "group_lasso": lasso}
        return LossOutput(total, {k: v.detach() for k, v in terms.items()})

    @property
    def theta_divisor(self) -> int:
        """What -log p(theta) is divided by beside the per-example likelihood: N (full_data) or 1 (reference)."""
        return self.data.n_items if self.config.theta_prior_scaling == "full_data" else 1

    def w_step(self, lr: float) -> float:
        """eta_W: the SGD step size on W (config.w_lr, else the training lr)."""
        return self.config.w_lr if self.config.w_lr is not None else lr

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        """Adam on everything but W; plain SGD (no momentum) on W, so the prox step is a true prox-gradient."""
        rest = [p for n, p in self.named_parameters() if n != "generator.W"]
        return [torch.optim.Adam(rest, lr=lr), torch.optim.SGD([self.generator.W], lr=self.w_step(lr), momentum=0.0)]

    def after_optimizer_step(self, lr: float) -> None:
        """W^(g)[:, j] <- prox_{eta_W lam ||.||}(W^(g)[:, j]) once ``prox_warmup`` steps have passed: columns
        with norm below eta_W * lam become exactly zero, the others shrink by it (seed 000, Alg. 1)."""
        self.steps_taken += 1
        if self.config.lam == 0 or (self.config.prox_warmup and int(self.steps_taken) <= self.config.prox_warmup):
            return
        with torch.no_grad():
            self.generator.W.copy_(group_soft_threshold(self.generator.W, self.w_step(lr) * self.config.lam))
