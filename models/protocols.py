"""What a model offers beyond ``LatentModel``, as runtime-checkable Protocols (method members only, so both
``isinstance(model, P)`` and ``issubclass(cls, P)`` work). Code that needs a capability checks its Protocol;
nothing compares capability strings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from torch import Tensor, nn

from .datasets.base import Group
from .distributions import Prior


@dataclass(frozen=True)
class ParentRef:
    """The run a model is built on, pinned to one version (12 hex digits of its weights' sha256)."""

    run_id: str
    version: str


@runtime_checkable
class HasParent(Protocol):
    """A model built on another run's model (a lens reads the parent's representation). The parent's weights
    are never saved into the child's file: whoever loads the child resolves ``parent_ref()`` and calls
    ``attach_parent`` before the child's own weights are loaded."""

    def parent_ref(self) -> ParentRef:
        """The parent run and the version this model was built on."""

    def attach_parent(self, parent: nn.Module) -> None:
        """Take the loaded parent (never as a submodule: its weights stay the parent's)."""


@runtime_checkable
class Grouped(Protocol):
    """A model whose latents drive groups of features (oi-VAE): a latent-to-group map and the feature groups."""

    def latent_to_group(self) -> Tensor:
        """(G, K): how strongly latent j drives group g (exact zeros for links cut to nothing)."""

    def feature_groups(self) -> tuple[Group, ...]:
        """The G feature groups, in the order of ``latent_to_group``'s rows."""


@runtime_checkable
class HasPrior(Protocol):
    """A generative model: a prior p(z) (built by ``build_prior``, held as ``self.prior``) and a decoder."""

    def build_prior(self) -> Prior:
        """p(z), built once from the model's config."""

    def decode(self, z: Tensor) -> Tensor:
        """(B, K) -> (B, *shape): the mean of p(x|z)."""


@runtime_checkable
class PredictsAttributes(Protocol):
    """A model whose own latent code reads side information through heads p(s | z) it trained with (JLVM)."""

    def predict_attributes(self, z: Tensor) -> dict[str, Tensor | tuple[Tensor, Tensor]]:
        """z (..., K) -> per attribute: class probabilities (..., C), or (mean (...), variance (...)) in raw units."""
