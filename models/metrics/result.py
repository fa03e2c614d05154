"""What every metric returns: the score, which published variant computed it, and per-factor details."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class MetricResult:
    """A disentanglement score labelled with its variant.

    variant: which definition computed it, e.g. "mig_dlib" or "mig_chen" (published numbers use both).
    value:   the headline score (for DCI: disentanglement; for FactorVAE: eval accuracy).
    scores:  every named scalar the definition reports, the headline included.
    details: per-latent / per-factor arrays, e.g. "mutual_info" (K, F) and "gap" (F,).
    """

    variant: str
    value: float
    scores: Mapping[str, float] = field(default_factory=dict)
    details: Mapping[str, np.ndarray] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready dict (arrays become nested lists)."""
        return {
            "variant": self.variant,
            "value": float(self.value),
            "scores": {k: float(v) for k, v in self.scores.items()},
            "details": {k: np.asarray(v).tolist() for k, v in self.details.items()},
        }
