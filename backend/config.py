"""All settings come from FACTORSCOPE_* environment variables through this one object."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACTORSCOPE_", extra="ignore")

    home: Path = Field(Path("var"), description="artifact store: runs/, caches, the SQLite file")
    api_port: int = Field(8000, ge=1, le=65535)
    ui_port: int = Field(8050, ge=1, le=65535)
    device: str = Field("auto", description="'auto' (CUDA when present), 'cpu' or 'cuda[:i]'")

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
