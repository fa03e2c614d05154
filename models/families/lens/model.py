"""A lens as a run: the interpretable latent z* of ``models.lens.Lens`` over the encoder mean of the run it is
built on, seen as a ``LatentModel`` over that run's data x.

encode(x): z = parent.encode(x).mean (B, D), then the lens's mean path z* (B, k) (unlabelled: each attribute
from q(s|z)); decode(z*) = parent.decode(E p(z | z*)) (B, *shape), the generative path a manipulated z* goes
through (SCIENCE.md section 6); prior p(z*) = N(0, I). The parent is attached, never a submodule: its weights
are neither saved here nor trained (``torch.no_grad`` around every use)."""

from __future__ import annotations

import torch
from torch import Tensor

from ...base import DataSpec, LatentModel, LossOutput
from ...distributions import DiagonalGaussian
from ...lens import Lens
from ...parent import BuiltOnParent
from ...registry import register_family
from .config import LensRunConfig


@register_family("lens", config=LensRunConfig, summary="interpretable lens (ILVM/FILVM) over another run's "
                 "representation; made by POST /api/v1/runs/{run_id}/lenses")
class LensRun(BuiltOnParent, LatentModel):
    config: LensRunConfig

    def __init__(self, config: LensRunConfig, data: DataSpec) -> None:
        super().__init__(config, data)
        self.parent_ref()  # a lens needs its base run
        self.lens = Lens(config.lens_config())

    def encode(self, x: Tensor) -> DiagonalGaussian:
        """q(z* | x) summarised as a Gaussian: mean = the lens's mean path z* (B, k); log-variance = the flow's
        base log sigma0^2 (B, k) (the flow moves the mean, its Jacobian reshapes the spread: an approximation
        for the views that read a spread, e.g. span_mode=sd around an item)."""
        return DiagonalGaussian(*self.lens.encode_with_spread(self.parent_means(x)))

    def decode(self, z: Tensor) -> Tensor:
        """z* (B, k) -> (B, *shape): parent.decode(E p(z | z*))."""
        with torch.no_grad():
            return self.base.decode(self.lens.decode_representation(z))

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        """log p(x | z_tilde = E p(z | z*)) under the parent's decoder: (B, *shape), (B, k) -> (B,)."""
        return self.base.log_likelihood(x, self.lens.decode_representation(z))

    def loss(self, x: Tensor) -> LossOutput:
        """The lens's loss on a batch with no item labelled (its labelled training runs on the whole
        representation: ``backend`` lens_fit job, ``models.lens.fit_lens``)."""
        total, terms = self.lens.loss(self.parent_means(x), None, None)
        return LossOutput(total, terms)
