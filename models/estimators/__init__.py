"""Pure estimators over arrays: numpy or torch in, float64 numpy out (nats throughout)."""

from .aggregate import aggregate_posterior_entropy, gaussian_entropy, sample_posterior
from .discrete import discrete_entropy, discrete_mutual_info, histogram_discretize
from .gaussian import gaussian_factor_mi, mean_variance
from .likelihood import iw_log_likelihood
from .mutual_info import MI_METHODS, factor_mutual_information, monte_carlo_factor_mi

__all__ = [
    "MI_METHODS",
    "aggregate_posterior_entropy",
    "discrete_entropy",
    "discrete_mutual_info",
    "factor_mutual_information",
    "gaussian_entropy",
    "gaussian_factor_mi",
    "histogram_discretize",
    "iw_log_likelihood",
    "mean_variance",
    "monte_carlo_factor_mi",
    "sample_posterior",
]
