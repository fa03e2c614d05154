"""Items chosen by what they are (a dataset's factor levels and attribute values) and by where they lie in a run's
latent space (nearest neighbours of an item)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from ...deps import RunId
from ...projections import check_projected_n
from ...schemas.items import ItemSearchPublic, ItemSearchQuery, NeighboursPublic, NeighboursQuery
from ...services import items
from ...store import LoadedRun
from ..responses import problems
from ..sample_view import SampleViewDep
from .analysis import JSON_304

router = APIRouter(tags=["items"], responses=problems(404, 409, 422))


@router.get("/datasets/{name}/items/search", response_model=ItemSearchPublic,
            summary="Items whose factors and attributes have the given values (where=shape=heart,scale=3; a "
                    "continuous attribute by range, where=thickness=1.5..2), in index order, a page at a time")
def search(name: Annotated[str, Path(max_length=100)], q: Annotated[ItemSearchQuery, Query()]) -> ItemSearchPublic:
    return ItemSearchPublic.model_validate(items.search_view(name, q.where, q.limit, q.offset))


@router.get("/runs/{run_id}/neighbours", response_model=NeighboursPublic, responses=JSON_304,
            summary="The k items of the embedding's sample whose posterior means lie nearest the item's (Euclidean), "
                    "nearest first, the item itself left out")
def neighbours(run_id: RunId, q: Annotated[NeighboursQuery, Query()], view: SampleViewDep) -> Any:
    def body(loaded: LoadedRun) -> NeighboursPublic:
        items.check_item(loaded.dataset, q.item)
        sample = items.sample_codes(view.store, loaded, view.executor, view.settings, q.n, q.seed)
        found = items.neighbours_view(loaded, view.executor, sample, q.item, q.k, q.seed)
        return NeighboursPublic.model_validate(found)

    # n up to max_projection_n: past max_embedding_n the candidates are a projection job's stored codes
    return view.serve(run_id, q, lambda _: ("neighbours", q.item, q.k, q.n, q.seed), body, check_projected_n)

