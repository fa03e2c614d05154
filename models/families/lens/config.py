"""The lens family's config: the run it is built on (``parent``), the representation's width there, and the
lens itself (variant, k = ``latent_dim``, flow length T, beta, attributes, network widths). Training settings
(steps, lr, batch size, seed) are the run's ``train`` settings, as for every run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ...config import Doc, require
from ...lens import AttributeSpec, LensConfig
from ...lens.heads import Variant
from ...protocols import ParentRef


@dataclass(frozen=True)
class LensRunConfig:
    parent: Annotated[ParentRef | None, Doc("the run this lens reads: {run_id} (its version is pinned when the lens "
                                            "is created)")] = None
    parent_latent_dim: Annotated[int, Doc("D, the width of the parent's representation (its encoder mean; checked "
                                          "when the parent is attached)")] = 10
    variant: Annotated[Variant, Doc("ilvm: each attribute read from all of z*; filvm: attribute j from z*_j "
                                    "alone")] = "ilvm"
    latent_dim: Annotated[int, Doc("k, the dimension of the interpretable latent z*")] = 8
    flow_length: Annotated[int, Doc("planar flow steps T in q(z* | z, s)")] = 4
    beta: Annotated[float, Doc("weight of the KL part of the lens's ELBO (seed 004, Eq. 8)")] = 1.0
    attributes: Annotated[tuple[AttributeSpec, ...], Doc("the side-information attributes in head order (from the "
                                                         "base dataset's schema)")] = ()
    hidden: Annotated[tuple[int, ...], Doc("hidden widths of the recognition and generative networks")] = (128, 128)
    max_items: Annotated[int, Doc("most items of the base dataset encoded for training (a seeded sample; the "
                                  "labelled items always included)")] = 20_000

    def __post_init__(self) -> None:
        require(self.parent_latent_dim >= 1, f"parent_latent_dim must be >= 1, got {self.parent_latent_dim}",
                "parent_latent_dim")
        require(self.max_items >= 2, f"max_items must be >= 2, got {self.max_items}", "max_items")
        if self.attributes:  # the defaults (no attributes yet) describe the form; a lens needs at least one
            self.lens_config()

    def lens_config(self) -> LensConfig:
        """The ``models.lens`` config this run's lens is built from (ConfigError/ValueError when it does not fit,
        e.g. no attributes, or FILVM with k below the number of attributes)."""
        require(len(self.attributes) >= 1, "expected at least one attribute", "attributes")
        return LensConfig(input_dim=self.parent_latent_dim, attributes=self.attributes, variant=self.variant,
                          k=self.latent_dim, flow_length=self.flow_length, recognition_hidden=self.hidden,
                          generative_hidden=self.hidden, beta=self.beta)
