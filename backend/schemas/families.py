from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FamilyPublic(BaseModel):
    name: str
    summary: str
    capabilities: list[str] = Field(description="what runs of this family offer (traversal, group_heatmap)")
    config_schema: dict[str, Any] = Field(description="JSON schema of the family's config (for forms)")
    defaults: dict[str, Any] = Field(description="the config's default values")


class FamilyList(BaseModel):
    families: list[FamilyPublic]
