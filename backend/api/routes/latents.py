"""Latent views of a run: traversal (PNG and JSON), decode (JSON and PNG), reconstruct (PNG).

PNG routes answer If-None-Match with 304 before any model work: the ETag depends only on the run's
version and the canonical parameters.
"""

from __future__ import annotations

import json
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Response

from ...convert import grid_png, to_tensor
from ...deps import ExecutorDep, IfNoneMatch, RunId, SettingsDep, StoreDep, VersionParam
from ...errors import LimitExceeded
from ...schemas import (
    DecodePngQuery,
    DecodePublic,
    DecodeRequest,
    ReconstructQuery,
    TraversalJsonQuery,
    TraversalPublic,
    TraversalQuery,
)
from ...services import latents
from ..responses import PNG_RESPONSES, PNGResponse, etag, matches, not_modified, png, problems

router = APIRouter(prefix="/runs/{run_id}", tags=["latents"], responses=problems(404, 409, 422, 503))


@router.get("/traversal.png", response_class=PNGResponse, responses=PNG_RESPONSES,
            summary="Latent traversal grid: rows = dims, columns = steps")
def traversal_png(run_id: RunId, q: Annotated[TraversalQuery, Query()], store: StoreDep, executor: ExecutorDep,
                  settings: SettingsDep, if_none_match: IfNoneMatch = None) -> Response:
    record = store.ready(run_id, q.v)
    spec = latents.traversal_spec(record, q, settings)
    tag = etag(run_id, record.version, "traversal.png", spec.canonical())
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    loaded = store.load(record)
    result = latents.traverse(loaded, executor, spec)
    image = grid_png(result.outputs, len(spec.dims), spec.steps, loaded.dataset.info)
    return png(image, tag, q.v is not None)


@router.get("/traversal", response_model=TraversalPublic, summary="Latent traversal as numbers")
def traversal_json(run_id: RunId, q: Annotated[TraversalJsonQuery, Query()], store: StoreDep,
                   executor: ExecutorDep, settings: SettingsDep) -> TraversalPublic:
    record = store.ready(run_id, q.v)
    loaded = store.load(record)
    result = latents.traverse(loaded, executor, latents.traversal_spec(record, q, settings))
    return TraversalPublic.model_validate(latents.traversal_view(loaded, result, q.outputs))


@router.post("/decode", response_model=DecodePublic,
             summary="Decode latent vectors to outputs (the mean of p(x|z))")
def decode(run_id: RunId, body: DecodeRequest, store: StoreDep, executor: ExecutorDep,
           settings: SettingsDep, v: VersionParam = None) -> DecodePublic:
    record = store.ready(run_id, v)
    if len(body.z) > settings.max_decode_batch:
        raise LimitExceeded("max_decode_batch", len(body.z), settings.max_decode_batch, "the number of vectors")
    z = to_tensor(body.z, latents.latent_dim(record), "body.z")
    loaded = store.load(record)
    outputs = latents.decode_vectors(loaded, executor, z, "body.z")
    return DecodePublic.model_validate(latents.decode_view(loaded, outputs))


@router.get("/decode.png", response_class=PNGResponse, responses=PNG_RESPONSES,
            summary="Decode one latent vector to a PNG (the live slider playground)")
def decode_png(run_id: RunId, q: Annotated[DecodePngQuery, Query()], store: StoreDep, executor: ExecutorDep,
               if_none_match: IfNoneMatch = None) -> Response:
    record = store.ready(run_id, q.v)
    z = latents.parse_latent(record, q.z)
    tag = etag(run_id, record.version, "decode.png", json.dumps(z))
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    loaded = store.load(record)
    outputs = latents.decode_vectors(loaded, executor, to_tensor([z], len(z), "query.z"), "query.z")
    return png(grid_png(outputs, 1, 1, loaded.dataset.info), tag, q.v is not None)


@router.get("/reconstruct.png", response_class=PNGResponse, responses=PNG_RESPONSES,
            summary="Items (top row) and their reconstructions decode(mu(x)) (bottom row)")
def reconstruct_png(run_id: RunId, q: Annotated[ReconstructQuery, Query()], store: StoreDep, executor: ExecutorDep,
                    settings: SettingsDep, if_none_match: IfNoneMatch = None) -> Response:
    record = store.ready(run_id, q.v)
    items = latents.item_list(record, q.items, settings)
    tag = etag(run_id, record.version, "reconstruct.png", json.dumps(items))
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    loaded = store.load(record)
    originals, recon = latents.reconstruct(loaded, executor, items)
    image = grid_png(np.concatenate([originals, recon]), 2, len(items), loaded.dataset.info)
    return png(image, tag, q.v is not None)
