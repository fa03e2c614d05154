from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FamilyPublic(BaseModel):
    name: str
    summary: str
    capabilities: list[str] = Field(description="what runs of this family offer (traversal, group_heatmap)")
    config_schema: dict[str, Any] = Field(description="JSON schema of the family's config (for forms)")
    defaults: dict[str, Any] = Field(description="the config's default values")
    made_by: str | None = Field(None, description="the route that makes this family's runs when POST /runs does "
                                "not (a lens: POST /api/v1/runs/{run_id}/lenses); the training form leaves it out")


class FamilyList(BaseModel):
    families: list[FamilyPublic]
