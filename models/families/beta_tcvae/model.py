"""beta-TCVAE: KL = alpha * index-code MI + beta * total correlation + gamma * dimension-wise KL."""

from __future__ import annotations

from torch import Tensor

from ...distributions import Posterior, gaussian_params
from ...registry import register_family
from ..vae import VAEBase
from .config import BetaTCVAEConfig
from .decomposition import log_qz_and_product, mws_offsets


@register_family(
    "beta_tcvae",
    config=BetaTCVAEConfig,
    summary="beta-TCVAE: the KL split into index-code MI, total correlation and dimension-wise KL",
)
class BetaTCVAE(VAEBase):
    config: BetaTCVAEConfig

    def regulariser(self, z: Tensor, posterior: Posterior) -> tuple[Tensor, dict[str, Tensor]]:
        if z.shape[0] < 2:
            raise ValueError("beta-TCVAE needs a batch of at least 2 items to estimate q(z)")
        mu, logvar = gaussian_params(posterior, "beta-TCVAE's minibatch estimate of q(z)",
                                     "expected its encoder's diagonal Gaussian")
        log_qz_x = posterior.log_prob(z)  # (B,)
        log_qz, log_prod = log_qz_and_product(z, mu, logvar, self.data.n_items, self.config.estimator)
        log_pz = self.prior.log_prob(z)
        mi, tc, dim_kl = log_qz_x - log_qz, log_qz - log_prod, log_prod - log_pz  # (B,) each
        c = self.config
        return c.alpha * mi + c.beta * tc + c.gamma * dim_kl, self._logged(mi, tc, dim_kl, z.shape[1])

    def _logged(self, mi: Tensor, tc: Tensor, dim_kl: Tensor, latent_dim: int) -> dict[str, Tensor]:
        """The batch means of the three terms as estimates (mws: the loss's terms plus ``mws_offsets``; the loss
        keeps the authors' values, so its value and gradient stay as published)."""
        qz, prod = mws_offsets(latent_dim, self.data.n_items) if self.config.estimator == "mws" else (0.0, 0.0)
        return {"mi": mi.mean().detach() - qz, "tc": tc.mean().detach() + qz - prod,
                "dim_kl": dim_kl.mean().detach() + prod}
