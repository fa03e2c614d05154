"""Item sets: a lasso selection of an embedding kept as a named set of a run's items, with its mean posterior code
against the run's default sample. Writes need a labeller (``auth.policy``); the sets live in the jobs database."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from ...auth import token_name
from ...deps import ExecutorDep, RunId, StoreDep, VersionParam
from ...item_sets import ItemSet, ItemSetStore
from ...schemas.common import Matching
from ...schemas.item_sets import ItemSetCreate, ItemSetDetail, ItemSetList, ItemSetPublic
from ...services.item_sets import BASELINE_N, code_means, create_set
from ..responses import problems

router = APIRouter(tags=["item sets"], responses=problems(404, 422))
SetId = Annotated[str, Matching(r"^[0-9a-f]{1,64}$", "an item set id (hex digits)"),
                  Path(description="a set id from GET /api/v1/runs/{run_id}/item-sets")]
SET_URL = "/api/v1/item-sets/{set_id}"


def sets(request: Request) -> ItemSetStore:
    return ItemSetStore(request.app.state.jobs.engine)  # in the jobs database, migrated when the API started


def view(item_set: ItemSet) -> dict[str, Any]:
    fields = {k: v for k, v in asdict(item_set).items() if k != "items" or v is not None}
    return {**fields, "set_url": SET_URL.format(set_id=item_set.set_id)}


@router.post("/runs/{run_id}/item-sets", status_code=201, response_model=ItemSetPublic, responses=problems(403, 409),
             summary="Keep items of the run's dataset as a named set (an embedding's lasso selection); labeller role",
             description="Body {name, items: [int]}: distinct dataset indices, each below the dataset's n_items, at "
             "most 100,000. 201 with the set; Location: its URL. created_by is the token's name (null with auth off). "
             "404 also when the run is deleted while the set is made (the set is not kept).")
def create(run_id: RunId, body: ItemSetCreate, store: StoreDep, request: Request, response: Response) -> ItemSetPublic:
    made = create_set(store, sets(request), run_id, body.name, body.items, token_name(request))
    response.headers["Location"] = SET_URL.format(set_id=made.set_id)
    return ItemSetPublic.model_validate(view(made))


@router.get("/runs/{run_id}/item-sets", response_model=ItemSetList,
            summary="The run's item sets, newest first, without their items")
def list_sets(run_id: RunId, store: StoreDep, request: Request) -> ItemSetList:
    store.exists(run_id)
    return ItemSetList.model_validate({"sets": [view(s) for s in sets(request).list(run_id)]})


@router.get("/item-sets/{set_id}", response_model=ItemSetDetail, responses=problems(409, 503),
            summary="An item set with its items and mean posterior code, beside the mean over the run's default "
                    f"sample ({BASELINE_N} items)",
            description="409 when the set's items do not fit the run's dataset (a set kept from an earlier run under "
            "its id), or when v= names a version the run does not have.")
def get_set(set_id: SetId, store: StoreDep, executor: ExecutorDep, request: Request,
            v: VersionParam = None) -> ItemSetDetail:
    item_set = sets(request).get(set_id)
    loaded = store.load(store.ready(item_set.run_id, v))
    mean, baseline = code_means(store, loaded, executor, item_set)
    return ItemSetDetail.model_validate({**view(item_set), "version": loaded.version, "mean_code": mean,
                                         "baseline_code": baseline, "baseline_n": BASELINE_N})


@router.delete("/item-sets/{set_id}", status_code=204, responses=problems(403),
               summary="Delete an item set; labeller role")
def delete_set(set_id: SetId, request: Request) -> Response:
    sets(request).delete(set_id)
    return Response(status_code=204)
