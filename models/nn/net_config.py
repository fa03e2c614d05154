"""The network fields every Gaussian-encoder family shares (its config subclasses this)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..base import DataSpec
from ..config import require

Architecture = Literal["auto", "mlp", "conv"]


@dataclass(frozen=True)
class NetConfig:
    latent_dim: int = 10
    hidden: tuple[int, ...] = (256, 256)  # MLP widths (conv nets use hidden[-1] for the dense layer)
    architecture: Architecture = "auto"  # auto: conv for images of side >= 28, else MLP
    conv_channels: tuple[int, ...] = (32, 32, 64, 64)  # per stride-2 layer; reused cyclically
    likelihood: Literal["auto", "bernoulli", "gaussian"] = "auto"  # auto: the dataset's

    def __post_init__(self) -> None:
        require(1 <= self.latent_dim <= 512, f"latent_dim must be in 1..512, got {self.latent_dim}")
        require(len(self.hidden) >= 1 and all(h >= 1 for h in self.hidden),
                f"hidden must list at least one positive width, got {list(self.hidden)}")
        require(len(self.conv_channels) >= 1 and all(c >= 1 for c in self.conv_channels),
                f"conv_channels must list positive channel counts, got {list(self.conv_channels)}")


def resolve_architecture(config: NetConfig, data: DataSpec) -> Literal["mlp", "conv"]:
    """'auto' -> 'conv' for (C, H, W) images with H == W >= 28, else 'mlp'."""
    is_big_image = len(data.shape) == 3 and data.shape[1] == data.shape[2] >= 28
    if config.architecture == "conv" and not is_big_image:
        raise ValueError(f"architecture 'conv' needs square images of side >= 28, got shape {data.shape}")
    if config.architecture == "auto":
        return "conv" if is_big_image else "mlp"
    return config.architecture
