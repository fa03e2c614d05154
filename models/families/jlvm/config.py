"""JLVM config (seed 001, Sec. 5; SCIENCE.md section 6): the VAE's networks and beta, the side-information
attributes its linear head reads from z, the labels (a simulated oracle: ground truth revealed for ``n_labels``
items drawn with ``label_seed``, as a lens's ``{"oracle": {"n", "seed"}}`` source draws them), the compression
weight (the seed's beta in Eq. 13) and the head's weight. The run is reproducible from this config alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ...config import WEIGHT, Between, Doc, require
from ...lens import AttributeSpec
from ...lens.heads import Variant
from ..vae import VAEConfig

MAX_LABELS = 10_000_000  # as the lens's oracle source (backend/schemas/lenses.py)


@dataclass(frozen=True)
class JLVMConfig(VAEConfig):
    attributes: Annotated[tuple[AttributeSpec, ...], Doc(
        "the side-information attributes the head reads from z, each {name, kind, n_classes} (categorical) or "
        "{name, kind, mean, std} (continuous, standardised as (value - mean) / std); names as the dataset's "
        "GET /datasets/{name}/attributes lists them")] = (AttributeSpec.categorical("label", 10),)
    variant: Annotated[Variant, Doc("ilvm: each attribute read linearly from all of z; filvm: attribute j from z_j "
                                    "alone")] = "ilvm"
    n_labels: Annotated[int, Doc("items whose attributes are revealed (the simulated oracle: ground truth for n items "
                                 "of the whole dataset drawn with label_seed; 0: none)"), Between(0, MAX_LABELS)] = 500
    label_seed: Annotated[int, Doc("seed of the oracle's draw (the same n and seed reveal the same items as a lens's "
                                   "oracle labels)"), Between(0, 2**32 - 1)] = 0
    compression: Annotated[float, Doc("beta of seed 001 Eq. 13: weight of KL(q(z|x) || q_agg(z)), the compression "
                                      "term (q_agg: the batch's aggregate posterior as a Gaussian)"), WEIGHT] = 1.0
    side_weight: Annotated[float, Doc("weight of the head's log-likelihood of the labelled items' attributes (1: the "
                                      "seed's objective)"), WEIGHT] = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        require(len(self.attributes) >= 1, "expected at least one attribute", "attributes")
        names = [a.name for a in self.attributes]
        require(len(set(names)) == len(names), f"expected distinct attribute names, got {names}", "attributes")
        require(self.variant != "filvm" or self.latent_dim >= len(names),
                f"filvm gives each attribute its own latent dim: expected latent_dim >= {len(names)}, got "
                f"{self.latent_dim}", "latent_dim")
