"""beta-VAE config (Higgins et al. 2017); beta = 1 is the plain VAE (Kingma & Welling 2014)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ...config import WEIGHT, Doc
from ...nn import NetConfig


@dataclass(frozen=True)
class VAEConfig(NetConfig):
    beta: Annotated[float, Doc("weight of KL(q(z|x) || p(z)); 1 is the plain VAE, more trades reconstruction for "
                               "independent factors"), WEIGHT] = 1.0
