"""The shared half of a family built on another run's model (``protocols.HasParent``): its config names the parent
(``parent: ParentRef | None``) and the parent's latent width (``parent_latent_dim``); the parent is attached as a
plain attribute, never a submodule, so it is neither saved in the child's weights nor trained with them."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .base import LatentModel
from .protocols import ParentRef


class BuiltOnParent:
    """Mixin for a ``LatentModel`` built on a parent run: ``parent_ref``, ``attach_parent``, ``base`` (the attached
    parent) and ``parent_means`` (the representation it reads)."""

    config: Any

    def parent_ref(self) -> ParentRef:
        """The pinned parent; ValueError for a config that names none (call it in ``__init__`` to check)."""
        if self.config.parent is None:
            raise ValueError(f"{type(self).__name__}: config.parent is required: expected {{\"run_id\": the run to "
                             "build on}")
        return self.config.parent

    def attach_parent(self, parent: nn.Module) -> None:
        """Keep ``parent`` (in eval mode) as a plain attribute: not a submodule, so never saved or trained here."""
        if not isinstance(parent, LatentModel) or parent.latent_dim != self.config.parent_latent_dim:
            raise ValueError(f"the parent must be a latent model with K = {self.config.parent_latent_dim} "
                             f"(parent_latent_dim), got {getattr(parent, 'latent_dim', type(parent).__name__)}")
        self.__dict__["parent"] = parent.eval()

    @property
    def base(self) -> LatentModel:
        """The attached parent; RuntimeError before ``attach_parent``."""
        if "parent" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__} has no parent attached; expected attach_parent first")
        parent: LatentModel = self.__dict__["parent"]
        return parent

    def parent_means(self, x: Tensor) -> Tensor:
        """(B, *shape) -> (B, K_parent): the parent's posterior means of x, without gradient."""
        with torch.no_grad():
            return self.base.encode(x).mean
