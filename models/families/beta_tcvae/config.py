"""beta-TCVAE config (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from ...config import WEIGHT, Doc
from ...nn import NetConfig


@dataclass(frozen=True)
class BetaTCVAEConfig(NetConfig):
    alpha: Annotated[float, Doc("weight of the index-code mutual information I(x; z)"), WEIGHT] = 1.0
    beta: Annotated[float, Doc("weight of the total correlation (the term that makes factors independent)"),
                    WEIGHT] = 6.0
    gamma: Annotated[float, Doc("weight of the dimension-wise KL to the prior"), WEIGHT] = 1.0
    estimator: Annotated[Literal["mss", "mws"], Doc("how log q(z) is estimated on a minibatch: mss (stratified) or "
                                                    "mws (weighted sampling)")] = "mss"
