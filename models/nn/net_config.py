"""The network fields every Gaussian-encoder family shares (its config subclasses this)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from ..base import DataSpec
from ..config import WIDTHS, Between, Doc, check_bounds, require

Architecture = Literal["auto", "mlp", "conv"]
LATENT_DIMS = Between(1, 512)


@dataclass(frozen=True)
class NetConfig:
    latent_dim: Annotated[int, Doc("K, the number of latent dims (1 to 512)"), LATENT_DIMS] = 10
    hidden: Annotated[tuple[int, ...], Doc("widths of the MLP's hidden layers (a conv net uses the last one for its "
                                           "dense layer)"), WIDTHS] = (256, 256)
    architecture: Annotated[Architecture, Doc("auto: a conv net for square images of side 28 or more, else an "
                                              "MLP")] = "auto"
    conv_channels: Annotated[tuple[int, ...], Doc("channels of each stride-2 conv layer, reused cyclically (conv "
                                                  "nets only)"), WIDTHS] = (32, 32, 64, 64)
    likelihood: Annotated[Literal["auto", "bernoulli", "gaussian"], Doc("p(x|z); auto: the dataset's own")] = "auto"

    def __post_init__(self) -> None:
        check_bounds(self)  # every field's Between range, a subclass's fields too
        require(len(self.hidden) >= 1, "hidden must list at least one positive width, got []", "hidden")
        require(len(self.conv_channels) >= 1, "conv_channels must list positive channel counts, got []",
                "conv_channels")


def resolve_architecture(config: NetConfig, data: DataSpec) -> Literal["mlp", "conv"]:
    """'auto' -> 'conv' for (C, H, W) images with H == W >= 28, else 'mlp'."""
    is_big_image = len(data.shape) == 3 and data.shape[1] == data.shape[2] >= 28
    if config.architecture == "conv" and not is_big_image:
        raise ValueError(f"architecture 'conv' needs square images of side >= 28, got shape {data.shape}")
    if config.architecture == "auto":
        return "conv" if is_big_image else "mlp"
    return config.architecture
