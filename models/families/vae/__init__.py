from .config import VAEConfig
from .model import VAE, VAEBase

__all__ = ["VAE", "VAEBase", "VAEConfig"]
