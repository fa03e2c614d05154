from .config import IsaBetaTCVAEConfig, IsaVAEConfig
from .model import IsaBetaTCVAE, IsaVAE

__all__ = ["IsaBetaTCVAE", "IsaBetaTCVAEConfig", "IsaVAE", "IsaVAEConfig"]
