"""The contract every family implements, and the data description a model is built for."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import Tensor, nn

from .datasets.base import Dataset, DatasetInfo, Group
from .distributions import Posterior, Prior, StandardNormal


@dataclass(frozen=True)
class DataSpec:
    """What a model needs to know about its data; saved in config.json to rebuild the model."""

    shape: tuple[int, ...]  # one item, e.g. (1, 64, 64)
    n_items: int  # training-set size N (beta-TCVAE's estimators need the true N)
    likelihood: Literal["bernoulli", "gaussian"]
    groups: tuple[Group, ...] = ()

    @classmethod
    def from_info(cls, info: DatasetInfo, n_items: int) -> DataSpec:
        return cls(tuple(info.shape), n_items, info.likelihood, tuple(info.groups))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DataSpec:
        groups = tuple(Group(**g) for g in data.get("groups", ()))
        return cls(tuple(data["shape"]), int(data["n_items"]), data["likelihood"], groups)

    def to_json(self) -> dict[str, Any]:
        groups = [{"name": g.name, "start": g.start, "stop": g.stop} for g in self.groups]
        return {"shape": list(self.shape), "n_items": self.n_items, "likelihood": self.likelihood,
                "groups": groups}


@dataclass
class LossOutput:
    """A scalar to minimise (mean over the batch) and named terms for logging (detached scalars)."""

    total: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)


class LatentModel(nn.Module, ABC):
    """A latent-variable model: an encoder giving a posterior q(z|x), a prior p(z) held as the submodule
    ``self.prior`` (its parameters, if any, are saved with the weights) and a decoder p(x|z). What a model offers
    beyond this is declared by the Protocols in ``models.protocols``."""

    family: ClassVar[str]

    def __init__(self, config: Any, data: DataSpec) -> None:
        super().__init__()
        self.config = config
        self.data = data
        self.prior: Prior = self.build_prior()

    @property
    def latent_dim(self) -> int:
        return int(self.config.latent_dim)

    def build_prior(self) -> Prior:
        """p(z), built once in ``__init__`` from ``self.config``: the standard normal unless a family says
        otherwise."""
        return StandardNormal(self.latent_dim)

    @abstractmethod
    def encode(self, x: Tensor) -> Posterior:
        """(B, *shape) -> q(z|x), a batch of B posteriors over K latents."""

    @abstractmethod
    def decode(self, z: Tensor) -> Tensor:
        """(B, K) -> (B, *shape): the mean of p(x|z) (probabilities for Bernoulli data)."""

    @abstractmethod
    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        """log p(x|z) summed over features: (B, *shape), (B, K) -> (B,)."""

    @abstractmethod
    def loss(self, x: Tensor) -> LossOutput:
        """The training objective for a batch (B, *shape)."""

    def loss_on_items(self, x: Tensor, items: np.ndarray, dataset: Dataset) -> LossOutput:
        """The objective for the batch x (B, *shape) = items (B,) of ``dataset``: what ``training.fit`` calls.
        ``loss(x)`` unless a family also reads something else of those items (JLVM: their labels)."""
        return self.loss(x)

    def check_dataset(self, dataset: Dataset) -> None:
        """ConfigError when the config does not fit ``dataset`` beyond its DataSpec (JLVM: its attributes and
        label count); nothing by default. A run is checked before it is made."""

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        """Optimizers for ``training.fit``; one Adam over everything by default."""
        return [torch.optim.Adam(self.parameters(), lr=lr)]

    def after_optimizer_step(self, lr: float) -> None:
        """Hook after every optimizer step (oi-VAE's proximal step); nothing by default."""
