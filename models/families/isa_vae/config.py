"""ISA-VAE configs (Stühmer, Turner, Nowozin, seed 003; ../shared/SCIENCE.md section 5): the Lp-nested prior's
fields, shared by the ISA-VAE and ISA-beta-TCVAE configs.

The defaults are the paper's dSprites layout: 5 subspaces of 4 dims, p0 = 2.1, p_i = 2.2 (learned), s = 1; its 3D
faces layout differs only in p_inner = [1.9].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ...config import Between, Doc, require
from ...nn.net_config import LATENT_DIMS
from ..beta_tcvae import BetaTCVAEConfig
from ..vae import VAEConfig

MAX_EXPONENT = 10.0  # p0 and p_inner: larger exponents make |z|^p overflow for |z| of a few units
MAX_SCALE = 100.0
EXPONENT = Between(0, MAX_EXPONENT, above=True)


@dataclass(frozen=True)
class IsaPriorFields:
    """The ISA prior's fields; a family config lists this before its base config (``IsaVAEConfig``)."""

    latent_dim: Annotated[int, Doc("K, the number of latent dims: the sum of subspace_sizes"), LATENT_DIMS] = 20
    subspace_sizes: Annotated[tuple[int, ...], Doc("the ISA prior's subspaces: sizes of consecutive blocks of latent "
                                                   "dims (paper: 5 of 4)"), Between(1)] = (4, 4, 4, 4, 4)
    p0: Annotated[float, Doc("the prior's root exponent, fixed (paper: 2.1)"), EXPONENT] = 2.1
    p_inner: Annotated[tuple[float, ...], Doc("initial exponent of each subspace: one for all or one per subspace "
                                              "(paper: 2.2 for dSprites, 1.9 for 3D faces)"), EXPONENT] = (2.2,)
    learn_inner: Annotated[bool, Doc("learn the subspace exponents with the networks (they stay > 0)")] = True
    scale: Annotated[float, Doc("the prior's scale s (all exponents 2 and s = 2: the standard normal)"),
                     Between(0, MAX_SCALE, above=True)] = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]  # the family's base config (NetConfig's checks, ranges too)
        sizes = self.subspace_sizes
        require(len(sizes) >= 1, "subspace_sizes must list at least one size >= 1, got []", "subspace_sizes")
        require(sum(sizes) == self.latent_dim, f"latent_dim must equal the sum of subspace_sizes ({sum(sizes)} for "
                f"{list(sizes)}), got {self.latent_dim}", "latent_dim")
        require(len(self.p_inner) in (1, len(sizes)), f"p_inner must list one exponent or one per subspace "
                f"({len(sizes)}), got {list(self.p_inner)}", "p_inner")


@dataclass(frozen=True)
class IsaVAEConfig(IsaPriorFields, VAEConfig):
    pass


@dataclass(frozen=True)
class IsaBetaTCVAEConfig(IsaPriorFields, BetaTCVAEConfig):
    pass
