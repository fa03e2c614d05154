"""Items chosen by what they are (a dataset's factor levels and attribute values) and by where they lie in a run's
latent space (nearest neighbours of an item)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from ...deps import ExecutorDep, IfNoneMatch, RunId, SettingsDep, StoreDep
from ...schemas.items import ItemSearchPublic, ItemSearchQuery, NeighboursPublic, NeighboursQuery
from ...services import analysis, items
from ..responses import cache_headers, etag, matches, not_modified, problems
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
def neighbours(run_id: RunId, q: Annotated[NeighboursQuery, Query()], store: StoreDep, executor: ExecutorDep,
               settings: SettingsDep, response: Response, if_none_match: IfNoneMatch = None) -> Any:
    record = store.ready(run_id, q.v)
    analysis.check_n(q.n, settings)
    tag = etag(run_id, record.version, "neighbours", q.item, q.k, q.n, q.seed)
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    view = items.neighbours_view(store, store.load(record), executor, q.item, q.k, q.n, q.seed)
    response.headers.update(cache_headers(tag, q.v is not None))
    return NeighboursPublic.model_validate(view)
