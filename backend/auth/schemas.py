"""The HTTP contract of ``GET /api/v1/auth/whoami``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .roles import Role


class WhoAmI(BaseModel):
    name: str | None = Field(description="the token's name (labels record it); null when auth is off")
    role: Role = Field(description="what the caller may do: viewer < labeller < admin (admin when auth is off)")
    auth: bool = Field(description="whether this server asks for tokens (FACTORSCOPE_AUTH, or listening beyond "
                       "loopback)")
