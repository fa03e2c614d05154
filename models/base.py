"""The contract every family implements, and the data description a model is built for."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from .datasets.base import DatasetInfo, Group
from .distributions import log_standard_normal

Capability = Literal["traversal", "group_heatmap", "flow_lens", "prior_sampling", "reconstruction"]


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
    """A latent-variable model with a Gaussian encoder q(z|x) = N(mu, diag exp(logvar))."""

    family: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {"traversal", "prior_sampling", "reconstruction"}
    )

    def __init__(self, config: Any, data: DataSpec) -> None:
        super().__init__()
        self.config = config
        self.data = data

    @property
    def latent_dim(self) -> int:
        return int(self.config.latent_dim)

    @abstractmethod
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, *shape) -> mu (B, K), logvar (B, K)."""

    @abstractmethod
    def decode(self, z: Tensor) -> Tensor:
        """(B, K) -> (B, *shape): the mean of p(x|z) (probabilities for Bernoulli data)."""

    @abstractmethod
    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        """log p(x|z) summed over features: (B, *shape), (B, K) -> (B,)."""

    @abstractmethod
    def loss(self, x: Tensor) -> LossOutput:
        """The training objective for a batch (B, *shape)."""

    def log_prior(self, z: Tensor) -> Tensor:
        """log p(z): (B, K) -> (B,). Standard normal unless the family says otherwise."""
        return log_standard_normal(z)

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """(n, K) draws from p(z)."""
        device = next(self.parameters()).device
        return torch.randn(n, self.latent_dim, generator=generator, device=device)

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        """Optimizers for ``training.fit``; one Adam over everything by default."""
        return [torch.optim.Adam(self.parameters(), lr=lr)]

    def after_optimizer_step(self, lr: float) -> None:
        """Hook after every optimizer step (oi-VAE's proximal step); nothing by default."""
