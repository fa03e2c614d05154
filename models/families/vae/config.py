"""beta-VAE config (Higgins et al. 2017); beta = 1 is the plain VAE (Kingma & Welling 2014)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ...config import MAX_WEIGHT, Doc, require_between
from ...nn import NetConfig


@dataclass(frozen=True)
class VAEConfig(NetConfig):
    beta: Annotated[float, Doc("weight of KL(q(z|x) || p(z)); 1 is the plain VAE, more trades reconstruction for "
                               "independent factors")] = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        require_between("beta", self.beta, 0, MAX_WEIGHT)
