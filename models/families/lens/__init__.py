from .config import LensRunConfig
from .model import LensRun

__all__ = ["LensRun", "LensRunConfig"]
