"""The secondary recognition network q(s | z) (SCIENCE.md section 6; Kingma et al. 2014 M2's classifier, seed
004's network for unobserved continuous side information): one MLP from z (B, D) to, per attribute, class
logits (B, C) or a Gaussian's mean and log-variance (B,) over the standardised value (model units).

It weighs the classes of an unlabelled categorical attribute in the exact marginalisation, draws the value
of an unlabelled continuous one, gives the prediction the mean path (``Lens.encode``) uses, and is trained on
the labelled items through its own log-likelihood (weighted by the config's ``alpha``).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from ..nn.mlp import mlp
from .attributes import AttributeSpec
from .outputs import AttributeOut, CategoricalOut, GaussianOut


class SideRecognition(nn.Module):
    """q(s | z) for every attribute of ``specs``."""

    def __init__(self, specs: Sequence[AttributeSpec], input_dim: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.specs = tuple(specs)
        self.widths = [s.n_classes if s.is_categorical else 2 for s in self.specs]
        self.net = mlp([input_dim, *hidden, sum(self.widths)])

    def forward(self, z: Tensor) -> dict[str, AttributeOut]:
        """z (B, D) -> {name: CategoricalOut (B, C) or GaussianOut mean, log_var (B,)}."""
        parts = self.net(z).split(self.widths, dim=-1)
        return {s.name: CategoricalOut(p) if s.is_categorical else GaussianOut(p[:, 0], p[:, 1])
                for s, p in zip(self.specs, parts, strict=True)}
