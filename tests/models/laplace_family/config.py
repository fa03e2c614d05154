"""The Laplace family's config: a VAE's fields and the prior's own config nested under ``prior``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from models.config import Doc, require
from models.families.vae import VAEConfig


@dataclass(frozen=True)
class LaplacePriorConfig:
    scale: Annotated[float, Doc("initial scale b of every dim's Laplace(0, b) (learned with the model)")] = 1.0

    def __post_init__(self) -> None:
        require(self.scale > 0, f"expected a number > 0, got {self.scale}", field="scale")


@dataclass(frozen=True)
class LaplaceVAEConfig(VAEConfig):
    prior: Annotated[LaplacePriorConfig, Doc("the factorised Laplace prior p(z)")] = LaplacePriorConfig()
    posterior: Annotated[Literal["gaussian", "laplace"], Doc("the encoder's q(z|x): a diagonal Gaussian, or a "
                                                             "factorised Laplace (not Gaussian)")] = "gaussian"
