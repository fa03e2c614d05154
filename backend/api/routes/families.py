"""The model families, straight from the registry."""

from __future__ import annotations

from fastapi import APIRouter

from ...schemas import FamilyList
from ...services.catalog import family_views

router = APIRouter(prefix="/families", tags=["families"])


@router.get("", response_model=FamilyList, summary="Registered families with config schemas and defaults")
def list_families() -> FamilyList:
    return FamilyList.model_validate({"families": family_views()})
