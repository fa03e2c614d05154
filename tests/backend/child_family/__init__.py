"""A family used only by the tests: a small VAE over another run's encoder means (a run with a parent).
Importing it registers ``child_vae``; tests import it at run time (a fixture), so the registry-wide contract
tests, parametrized when collected, do not pick it up (it cannot be built without a parent run)."""

from .config import ChildConfig
from .model import ChildVAE

__all__ = ["ChildConfig", "ChildVAE"]
