"""A VAE over a parent run's representation: h = E_q[z_parent | x] (B, K_p) is the data this model encodes
(q(z|h) = N(mu, diag sigma^2), z (B, K)) and reconstructs (p(h|z) Gaussian); decode(z) (B, *shape) =
parent.decode(mean of p(h|z)). The parent sits outside the registered submodules: its weights are neither in this
model's state dict nor trained (``torch.no_grad`` around every use)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from models.base import DataSpec, LatentModel, LossOutput
from models.distributions import DiagonalGaussian
from models.nn import build_decoder, build_encoder, build_likelihood
from models.protocols import ParentRef
from models.registry import register_family

from .config import ChildConfig


@register_family("child_vae", config=ChildConfig, summary="test only: a small VAE over a parent run's encoder means")
class ChildVAE(LatentModel):
    config: ChildConfig

    def __init__(self, config: ChildConfig, data: DataSpec) -> None:
        super().__init__(config, data)
        if config.parent is None:
            raise ValueError("config.parent is required: expected {\"run_id\": the run to build on}")
        means = DataSpec((config.parent_latent_dim,), data.n_items, "gaussian")  # what this VAE models
        self.encoder = build_encoder(config, means)
        self.decoder = build_decoder(config, means)
        self.likelihood = build_likelihood(config, means)

    def parent_ref(self) -> ParentRef:
        assert self.config.parent is not None
        return self.config.parent

    def attach_parent(self, parent: nn.Module) -> None:
        """Keep ``parent`` (in eval mode) as a plain attribute: not a submodule, so never saved or trained here."""
        if not isinstance(parent, LatentModel) or parent.latent_dim != self.config.parent_latent_dim:
            raise ValueError(f"the parent must be a latent model with K = {self.config.parent_latent_dim} "
                             f"(parent_latent_dim), got {getattr(parent, 'latent_dim', type(parent).__name__)}")
        self.__dict__["parent"] = parent.eval()

    @property
    def base(self) -> LatentModel:
        if "parent" not in self.__dict__:
            raise RuntimeError("the child VAE has no parent attached; expected attach_parent first")
        return self.__dict__["parent"]

    def parent_means(self, x: Tensor) -> Tensor:
        """(B, *shape) -> (B, K_p): the parent's posterior means, without gradient."""
        with torch.no_grad():
            return self.base.encode(x).mean

    def encode(self, x: Tensor) -> DiagonalGaussian:
        return DiagonalGaussian(*self.encoder(self.parent_means(x)))

    def decode(self, z: Tensor) -> Tensor:
        with torch.no_grad():
            return self.base.decode(self.likelihood.mean(self.decoder(z)))

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        """log p(h|z) of the parent's means h of x: (B, *shape), (B, K) -> (B,)."""
        return self.likelihood.log_prob(self.decoder(z), self.parent_means(x))

    def loss(self, x: Tensor) -> LossOutput:
        h = self.parent_means(x)  # (B, K_p), the data of this VAE
        posterior = DiagonalGaussian(*self.encoder(h))
        z = posterior.rsample()  # (B, K)
        recon = -self.likelihood.log_prob(self.decoder(z), h)  # (B,)
        kl = self.prior.kl(posterior, z)  # (B,)
        total = (recon + self.config.beta * kl).mean()
        return LossOutput(total, {"loss": total.detach(), "recon": recon.mean().detach(), "kl": kl.mean().detach()})
