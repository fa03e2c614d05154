"""Disentanglement metrics: pure functions over arrays returning a variant-labelled MetricResult.

METRICS maps each name to its function; the @register_metric decorator at each definition fills it,
so importing the modules below is all it takes. `interpretability` (one attribute, train/test item
indices) is exported but not in METRICS, whose metrics take (codes, factors).
"""

from .dci import dci, dci_completeness, dci_disentanglement
from .dim_factor_mi import DimFactorInformation, dim_factor_information
from .factor_vae import factor_vae_score
from .interpretability import interpretability, quantile_classes
from .mig import mig_dlib
from .mig_chen import mig_chen
from .modularity import modularity, modularity_from_mi
from .registry import METRICS, MetricFn, register_metric
from .result import MetricResult
from .sap import sap

__all__ = [
    "METRICS",
    "DimFactorInformation",
    "MetricFn",
    "MetricResult",
    "dci",
    "dci_completeness",
    "dci_disentanglement",
    "dim_factor_information",
    "factor_vae_score",
    "interpretability",
    "mig_chen",
    "mig_dlib",
    "modularity",
    "modularity_from_mi",
    "quantile_classes",
    "register_metric",
    "sap",
]
