"""Shared building blocks: MLPs, encoders, decoders, likelihoods."""

from .decoders import build_decoder
from .encoders import build_encoder
from .likelihoods import Likelihood, build_likelihood
from .mlp import mlp
from .net_config import NetConfig, resolve_architecture

__all__ = [
    "Likelihood",
    "NetConfig",
    "build_decoder",
    "build_encoder",
    "build_likelihood",
    "mlp",
    "resolve_architecture",
]
