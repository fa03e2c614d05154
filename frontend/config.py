"""The dashboard's settings, from FACTORSCOPE_* environment variables (read by ``FrontendSettings()``)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class FrontendSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACTORSCOPE_", extra="ignore")

    backend_url: str = Field("http://127.0.0.1:8000", description="the API as this server reaches it (no /api/v1)")
    public_backend_url: str | None = Field(None, description="the API as the *browser* reaches it, for <img src>; "
                                           "default: this dashboard's own /api/v1 proxy (one address)")
    ui_host: str = Field("127.0.0.1", description="interface the dashboard listens on (0.0.0.0 in a container)")
    ui_port: int = Field(8050, ge=1, le=65535)
    timeout_s: float = Field(30.0, gt=0, description="read timeout of one backend call")
    connect_timeout_s: float = Field(3.0, gt=0, description="how long to wait for the backend to accept a connection")
    proxy_max_body_bytes: int = Field(1 << 20, ge=1024, description="largest request body the /api/v1 proxy "
                                      "forwards (the backend's default max_body_bytes); larger: 413")
    poll_ms: int = Field(700, ge=100, description="how often a running job's progress is polled")

    @field_validator("backend_url", "public_backend_url")
    @classmethod
    def _no_trailing_slash(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s):// URL, got {url!r}")
        return url.rstrip("/") if url else url

    @property
    def public_url(self) -> str:
        """Where the browser loads backend images from: "" (a path on the dashboard's own origin, through its
        /api/v1 proxy) unless FACTORSCOPE_PUBLIC_BACKEND_URL names another address."""
        return self.public_backend_url or ""
