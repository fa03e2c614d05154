"""beta-TCVAE config (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...config import require
from ...nn import NetConfig


@dataclass(frozen=True)
class BetaTCVAEConfig(NetConfig):
    alpha: float = 1.0  # index-code mutual information
    beta: float = 6.0  # total correlation
    gamma: float = 1.0  # dimension-wise KL
    estimator: Literal["mss", "mws"] = "mss"  # minibatch stratified / weighted sampling

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("alpha", "beta", "gamma"):
            require(getattr(self, name) >= 0, f"{name} must be >= 0, got {getattr(self, name)}")
