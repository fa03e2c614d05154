"""Linear side-information heads p_psi(s | z*) (SCIENCE.md section 6; seed 001 ILVM, seed 004 FILVM).

ILVM: attribute j's logits (categorical) or mean (continuous) = Psi_j z* + psi0_j, from all k coordinates.
FILVM: attribute j reads coordinate j of z* alone (attribute order = coordinate order; the lens's config
requires k >= number of attributes; coordinates beyond them own no attribute): logits = w_j z*_j + b_j with
w_j, b_j (C,), or mean = w_j z*_j + b_j with scalars. A continuous attribute's variance is one learned number
per attribute (in standardised units), not a function of z*, starting at ``std_init``^2. Everything is in
model units.

Why a small ``std_init``: at w_j = 0 and z*_j independent of s_j the gradients that would correlate them are each
proportional to the other (d/dw ~ cov(s, z*_j) / var, d/dz*_j ~ w / var), a saddle. On a synthetic representation
(tests/models/lens/test_lens_fit.py), FILVM's thickness prediction stayed uncorrelated with the truth (0.04) after
1,500 steps with std_init = 1, and reached 0.93 (0.999 with 0.1) in 300 steps with the default 0.3, which also kept
ILVM's digit accuracy at 0.88 (0.1 lowered it to 0.81). The variance then grows to the residual."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from .attributes import AttributeSpec
from .outputs import AttributeOut, CategoricalOut, GaussianOut

Variant = Literal["ilvm", "filvm"]


class LinearHeads(nn.Module):
    """One linear head per attribute over z* (..., k)."""

    def __init__(self, specs: Sequence[AttributeSpec], k: int, variant: Variant, std_init: float = 0.3) -> None:
        super().__init__()
        if variant == "filvm" and k < len(specs):
            raise ValueError(f"FILVM gives each attribute its own coordinate: expected k >= {len(specs)}, got {k}")
        self.specs, self.variant = tuple(specs), variant
        fan_in = k if variant == "ilvm" else 1
        self.linear = nn.ModuleList(nn.Linear(fan_in, s.width) for s in self.specs)
        log_var = torch.full((len(self.specs),), 2 * math.log(std_init))  # (J,) used by continuous attributes only
        self.log_var = nn.Parameter(log_var)

    def owned_coordinate(self, name: str) -> int | None:
        """The coordinate of z* that FILVM's attribute ``name`` reads (None for ILVM: it reads them all)."""
        return [s.name for s in self.specs].index(name) if self.variant == "filvm" else None

    def forward(self, z_star: Tensor) -> dict[str, AttributeOut]:
        """z* (..., k) -> each attribute's distribution: CategoricalOut logits (..., C) or GaussianOut (...)."""
        out: dict[str, AttributeOut] = {}
        for j, (spec, linear) in enumerate(zip(self.specs, self.linear, strict=True)):
            y = linear(z_star if self.variant == "ilvm" else z_star[..., j : j + 1])  # (..., C or 1)
            out[spec.name] = CategoricalOut(y) if spec.is_categorical else GaussianOut(y.squeeze(-1), self.log_var[j])
        return out

    def log_prob(self, z_star: Tensor, values: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """z* (B, k) and model-unit values {name: (B,)} of some attributes -> {name: log p(s_j | z*) (B,)}."""
        out = self(z_star)
        return {name: out[name].log_prob(v) for name, v in values.items()}

    def predict(self, z_star: Tensor) -> dict[str, Tensor | tuple[Tensor, Tensor]]:
        """z* (..., k) -> {name: class probabilities (..., C)} or {name: (mean (...), variance (...))}."""
        return {name: d.probs() if isinstance(d, CategoricalOut) else (d.mean, d.variance())
                for name, d in self(z_star).items()}
