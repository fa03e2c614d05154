"""A test-only family, laid out like ``models/families/<name>/``: a VAE whose prior is a factorised Laplace with a
learned scale per dim (and, by config, a Laplace posterior: not Gaussian). Importing this package registers it as
``laplace_vae_test``; nothing outside this folder names it (``test_laplace_family.py`` checks that)."""

from .config import LaplacePriorConfig, LaplaceVAEConfig
from .model import LaplaceVAE
from .posterior import LaplacePosterior
from .prior import LaplacePrior

FAMILY = LaplaceVAE.family

__all__ = ["FAMILY", "LaplacePosterior", "LaplacePrior", "LaplacePriorConfig", "LaplaceVAE", "LaplaceVAEConfig"]
