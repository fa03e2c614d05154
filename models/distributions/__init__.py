"""Densities shared by the families: posterior and prior objects, and diagonal-Gaussian helpers."""

from .gaussian import LOG_2PI, kl_to_standard_normal, log_density_gaussian
from .lp_nested import LpNested
from .posterior import DiagonalGaussian, FactorisedPosterior, NotGaussianError, Posterior, gaussian_params
from .prior import FactorisedPrior, NotFactorisedError, Prior
from .standard_normal import StandardNormal

__all__ = [
    "LOG_2PI",
    "DiagonalGaussian",
    "FactorisedPosterior",
    "FactorisedPrior",
    "LpNested",
    "NotFactorisedError",
    "NotGaussianError",
    "Posterior",
    "Prior",
    "StandardNormal",
    "gaussian_params",
    "kl_to_standard_normal",
    "log_density_gaussian",
]
