"""LensConfig: everything that builds a lens (JSON round-trip through ``models.config``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from ..config import Doc, require
from .attributes import AttributeSpec
from .heads import Variant


@dataclass(frozen=True)
class LensConfig:
    input_dim: Annotated[int, Doc("dimension D of the base run's representation z")]
    attributes: Annotated[tuple[AttributeSpec, ...], Doc("the side-information attributes, in head order")]
    variant: Annotated[Variant, Doc("ilvm: each attribute read from all of z*; filvm: attribute j from z*_j")] = "ilvm"
    k: Annotated[int, Doc("dimension of the interpretable latent z*")] = 8
    flow_length: Annotated[int, Doc("planar flow steps T in q(z* | z, s)")] = 4
    recognition_hidden: tuple[int, ...] = (128, 128)
    generative_hidden: tuple[int, ...] = (128, 128)
    side_hidden: Annotated[tuple[int, ...], Doc("hidden sizes of the secondary recognition q(s | z)")] = (128,)
    beta: Annotated[float, Doc("weight of the KL part: log p(z*) - log q(z* | z, s) (seed 004, Eq. 8)")] = 1.0
    alpha: Annotated[float, Doc("weight of q(s | z)'s log-likelihood on labelled items (M2's alpha)")] = 1.0
    head_std_init: Annotated[float, Doc("initial std of a continuous attribute's p(s | z*) in standardised units "
                                        "(small: the side term shapes z* from the start; see heads.py)")] = 0.3
    learn_z_variance: Annotated[bool, Doc("learn p(z | z*)'s variance per dim (else fixed at 1)")] = True
    max_configurations: Annotated[int, Doc("most joint classes of the categorical attributes that the exact "
                                           "marginalisation may enumerate per unlabelled item")] = 100

    def __post_init__(self) -> None:
        require(self.input_dim >= 1, f"input_dim must be >= 1, got {self.input_dim}", "input_dim")
        require(len(self.attributes) >= 1, "expected at least one attribute", "attributes")
        names = [a.name for a in self.attributes]
        require(len(set(names)) == len(names), f"attribute names must be distinct, got {names}", "attributes")
        require(self.k >= 1, f"k must be >= 1, got {self.k}", "k")
        require(self.variant != "filvm" or self.k >= len(self.attributes),
                f"FILVM gives each attribute its own coordinate of z*: expected k >= {len(self.attributes)}, "
                f"got {self.k}", "k")
        require(self.flow_length >= 0, f"flow_length must be >= 0, got {self.flow_length}", "flow_length")
        for name in ("recognition_hidden", "generative_hidden", "side_hidden"):
            require(all(h >= 1 for h in getattr(self, name)), f"{name}: expected sizes >= 1", name)
        require(self.beta >= 0 and self.alpha >= 0, "beta and alpha must be >= 0", "beta")
        require(self.head_std_init > 0, f"head_std_init must be > 0, got {self.head_std_init}", "head_std_init")
        require(self.configurations <= self.max_configurations,
                f"exact marginalisation enumerates every joint class of the categorical attributes "
                f"({' x '.join(str(a.n_classes) for a in self.attributes if a.is_categorical)} = "
                f"{self.configurations} recognition passes per unlabelled item); expected at most "
                f"max_configurations = {self.max_configurations}", "attributes")

    @property
    def configurations(self) -> int:
        """Joint classes of the categorical attributes: the recognition passes of an item with none labelled."""
        return math.prod(a.n_classes for a in self.attributes if a.is_categorical)

    @property
    def side_dim(self) -> int:
        """Columns S of the encoded side information."""
        return sum(a.width for a in self.attributes)
