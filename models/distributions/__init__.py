"""Densities shared by the families."""

from .gaussian import (
    LOG_2PI,
    kl_to_standard_normal,
    log_density_gaussian,
    log_standard_normal,
    reparameterize,
)

__all__ = [
    "LOG_2PI",
    "kl_to_standard_normal",
    "log_density_gaussian",
    "log_standard_normal",
    "reparameterize",
]
