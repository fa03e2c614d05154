"""ISA-VAE and ISA-beta-TCVAE: the VAE and beta-TCVAE with the Lp-nested (ISA) prior (SCIENCE.md section 5).

Only the prior changes. The VAE's KL is then the prior's Monte Carlo log q(z|x) - log p_ISA(z) at the training
sample; beta-TCVAE's dimension-wise term already reads ``self.prior.log_prob``, so it becomes
E[log prod_j q(z_j) - log p_ISA(z)] as the paper states.
"""

from __future__ import annotations

from ...distributions import LpNested
from ...registry import register_family
from ..beta_tcvae import BetaTCVAE
from ..vae import VAE
from .config import IsaBetaTCVAEConfig, IsaPriorFields, IsaVAEConfig


class IsaPrior:
    """Mixin listed before a ``LatentModel`` family: its prior is the config's Lp-nested prior."""

    config: IsaPriorFields

    def build_prior(self) -> LpNested:
        c = self.config
        p_inner = c.p_inner[0] if len(c.p_inner) == 1 else c.p_inner
        return LpNested(c.subspace_sizes, c.p0, p_inner, c.scale, c.learn_inner)


@register_family("isa_vae", config=IsaVAEConfig,
                 summary="ISA-VAE: beta-VAE with the Lp-nested (ISA) prior of independent subspaces, Monte Carlo KL")
class IsaVAE(IsaPrior, VAE):
    config: IsaVAEConfig


@register_family("isa_beta_tcvae", config=IsaBetaTCVAEConfig,
                 summary="ISA-beta-TCVAE: beta-TCVAE whose dimension-wise KL is to the Lp-nested (ISA) prior")
class IsaBetaTCVAE(IsaPrior, BetaTCVAE):
    config: IsaBetaTCVAEConfig
