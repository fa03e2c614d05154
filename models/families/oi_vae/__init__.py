from .config import OIVAEConfig
from .model import OIVAE
from .prox import group_soft_threshold

__all__ = ["OIVAE", "OIVAEConfig", "group_soft_threshold"]
