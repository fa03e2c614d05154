from .config import BetaTCVAEConfig
from .model import BetaTCVAE

__all__ = ["BetaTCVAE", "BetaTCVAEConfig"]
