"""The child VAE's config: the network fields of every Gaussian-encoder family, plus the parent it is built on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from models.config import Doc, require
from models.nn import NetConfig
from models.protocols import ParentRef


@dataclass(frozen=True)
class ChildConfig(NetConfig):
    parent: Annotated[ParentRef | None, Doc("the run this one is built on: {run_id} (its version is pinned when the "
                                            "run is created)")] = None
    parent_latent_dim: Annotated[int, Doc("the parent's K (checked when the parent is attached)")] = 4
    beta: Annotated[float, Doc("weight of the KL term")] = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.parent_latent_dim >= 1, f"parent_latent_dim must be >= 1, got {self.parent_latent_dim}")
        require(self.beta >= 0, f"beta must be >= 0, got {self.beta}")
