"""Labelling sessions (issue 17): create, list, detail, close; the loop (next item on a lease, label with an
Idempotency-Key, skip, flag, undo); history, learning curve, exports and CSV import. The logic lives in
``backend.labelling``; each route checks, calls it and converts."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from ...auth import labeller_for
from ...deps import JobsDep, LabelsDep, RankingsDep, StoreDep
from ...labelling import LabelSession, LabelSessionClosedError
from ...labelling import views as v
from ...labelling.curve import ensure_point
from ...labelling.export import event_json, import_csv, label_json, to_csv, to_jsonl, to_label_studio
from ...labelling.loop import maybe_refit
from ...labelling.model import stamp
from ...labelling.session_files import load_held_out
from ...labelling.sessions import open_session
from ...labelling.store import LabelStore
from ...schemas.common import Matching
from ...schemas.labelling import (
    CurvePublic,
    CurveQuery,
    EventCreate,
    EventPublic,
    FlagCreate,
    HistoryPublic,
    HistoryQuery,
    ImportCreate,
    ImportPublic,
    LabelCreate,
    LabelPublic,
    LabelSessionCreate,
    NextPublic,
    NextQuery,
    SessionList,
    SessionPublic,
    SessionsQuery,
    UndoCreate,
    UndoPublic,
)
from ...store import RunStore
from ..responses import problems

router = APIRouter(prefix="/label-sessions", tags=["labelling"], responses=problems(404, 422))
SessionId = Annotated[str, Matching(r"^[0-9a-f]{1,64}$", "a labelling session id (hex digits)"),
                      Path(description="a session id from POST /api/v1/label-sessions")]
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200, description="the same key again "
                                              "answers the first result (a retried request writes once)")]


def open_one(labels: LabelStore, session_id: str) -> LabelSession:
    """The session, 409 when it is closed."""
    session = labels.get_session(session_id)
    if session.state != "open":
        raise LabelSessionClosedError(f"labelling session {session_id!r} is closed; expected an open one")
    return session


def refit_if_due(store: RunStore, jobs: JobsDep, labels: LabelStore, session: LabelSession) -> None:
    maybe_refit(store, jobs, labels, session, labels.standing_count(session.session_id))


@router.post("", status_code=201, response_model=SessionPublic, responses=problems(409),
             summary="Open a labelling session on a ready lens of a run (on one of its item sets, optionally)")
def create(body: LabelSessionCreate, store: StoreDep, labels: LabelsDep, jobs: JobsDep, rankings: RankingsDep,
           response: Response) -> SessionPublic:
    session = open_session(store, labels, body.run_id, body.lens_id, body.attributes, body.strategy,
                           body.batch_size, body.refit_every, body.item_set)
    response.headers["Location"] = f"/api/v1/label-sessions/{session.session_id}"
    return SessionPublic.model_validate(v.session_json(session, labels, jobs, store, rankings))


@router.get("", response_model=SessionList, summary="Labelling sessions, newest first")
def list_sessions(q: Annotated[SessionsQuery, Query()], store: StoreDep, labels: LabelsDep, jobs: JobsDep,
                  rankings: RankingsDep) -> SessionList:
    listed = [s for s in labels.list_sessions(q.run_id, limit=1000) if q.state in (None, s.state)]
    return SessionList.model_validate({"sessions": [v.session_json(s, labels, jobs, store, rankings)
                                                    for s in listed]})


@router.get("/{session_id}", response_model=SessionPublic, summary="A session: progress, lens version, refit")
def get_session(session_id: SessionId, store: StoreDep, labels: LabelsDep, jobs: JobsDep,
                rankings: RankingsDep) -> SessionPublic:
    return SessionPublic.model_validate(v.session_json(labels.get_session(session_id), labels, jobs, store,
                                                       rankings))


@router.post("/{session_id}/close", response_model=SessionPublic, summary="Close a session (its labels stay)")
def close(session_id: SessionId, store: StoreDep, labels: LabelsDep, jobs: JobsDep,
          rankings: RankingsDep) -> SessionPublic:
    return SessionPublic.model_validate(v.session_json(labels.close_session(session_id), labels, jobs, store,
                                                       rankings))


@router.get("/{session_id}/next", response_model=NextPublic, responses=problems(409),
            summary="Lease the item this labeller should label next (the same one again until it is done or expires)")
def next_item(session_id: SessionId, q: Annotated[NextQuery, Query()], store: StoreDep, labels: LabelsDep,
              rankings: RankingsDep, request: Request) -> NextPublic:
    labeller = labeller_for(request, q.labeller)
    session = open_one(labels, session_id)
    attribute = session.attribute(q.attribute or session.attributes[0].name)
    lens = store.ready(str(session.lens_id))
    queue = rankings.queue(store, lens, session, attribute.name, lambda: load_held_out(store.home, session_id))
    lease = labels.lease_next(session_id, labeller, queue.items, scores=queue.scores,
                              lens_version=queue.ranking.lens_version)
    return NextPublic.model_validate(v.next_json(session, attribute, lease, queue, labels.done_items(session_id),
                                                 labels.standing_count(session_id)))


@router.post("/{session_id}/labels", status_code=201, response_model=LabelPublic, responses=problems(409),
             summary="Label an item (a retry with the same Idempotency-Key answers 200 and the first label)")
def add_label(session_id: SessionId, body: LabelCreate, store: StoreDep, labels: LabelsDep, jobs: JobsDep,
              response: Response, request: Request, idempotency_key: IdempotencyKey = None) -> LabelPublic:
    asked = v.now()
    labeller = labeller_for(request, body.labeller)
    label = labels.add_label(session_id, body.item, body.value, labeller, idempotency_key, body.attribute,
                             body.time_taken_ms, now=asked)
    session = labels.get_session(session_id)
    if label.created_at != stamp(asked):
        response.status_code = 200  # a retry: the label stored by the first request
    else:
        refit_if_due(store, jobs, labels, session)
    return LabelPublic.model_validate(label_json(session, label))


@router.post("/{session_id}/skip", status_code=201, response_model=EventPublic, responses=problems(409),
             summary="Pass over an item (it leaves this labeller's queue)")
def skip(session_id: SessionId, body: EventCreate, labels: LabelsDep, request: Request) -> EventPublic:
    labeller = labeller_for(request, body.labeller)
    return EventPublic.model_validate(event_json(labels.skip(session_id, body.item, labeller)))


@router.post("/{session_id}/flag", status_code=201, response_model=EventPublic, responses=problems(409),
             summary="Flag an item for review (it leaves this labeller's queue)")
def flag(session_id: SessionId, body: FlagCreate, labels: LabelsDep, request: Request) -> EventPublic:
    labeller = labeller_for(request, body.labeller)
    return EventPublic.model_validate(event_json(labels.flag(session_id, body.item, labeller, body.note)))


@router.post("/{session_id}/undo", response_model=UndoPublic, responses=problems(409),
             summary="Retract this labeller's last standing label (a new row: history keeps both)")
def undo(session_id: SessionId, body: UndoCreate, labels: LabelsDep, request: Request,
         idempotency_key: IdempotencyKey = None) -> UndoPublic:
    retraction = labels.undo(session_id, labeller_for(request, body.labeller), idempotency_key)
    session = labels.get_session(session_id)
    assert retraction.retracts is not None
    retracted = labels.label(session_id, retraction.retracts)
    return UndoPublic.model_validate({"retraction": label_json(session, retraction),
                                      "retracted": label_json(session, retracted)})


@router.get("/{session_id}/history", response_model=HistoryPublic, summary="The last n labels and retractions")
def history(session_id: SessionId, q: Annotated[HistoryQuery, Query()], labels: LabelsDep) -> HistoryPublic:
    session = labels.get_session(session_id)
    return HistoryPublic.model_validate({"labels": v.labels_json(session, labels.history(session_id, q.n,
                                                                                         q.labeller))})


@router.get("/{session_id}/curve", response_model=CurvePublic, responses=problems(409),
            summary="Interpretability on the fixed held-out items per lens version, against labels given")
def curve(session_id: SessionId, q: Annotated[CurveQuery, Query()], store: StoreDep, labels: LabelsDep) -> CurvePublic:
    session = labels.get_session(session_id)
    attribute = session.attribute(q.attribute or session.attributes[0].name).name
    ensure_point(store, labels, session, attribute)
    return CurvePublic.model_validate(v.curve_json(session, store, attribute))


@router.get("/{session_id}/export.csv", response_class=Response, summary="The standing labels as CSV",
            responses={200: {"content": {"text/csv": {}}}})
def export_csv(session_id: SessionId, labels: LabelsDep) -> Response:
    session = labels.get_session(session_id)
    return Response(to_csv(session, labels.standing(session_id)), media_type="text/csv")


@router.get("/{session_id}/export.jsonl", response_class=Response, summary="The standing labels, one JSON a line",
            responses={200: {"content": {"application/x-ndjson": {}}}})
def export_jsonl(session_id: SessionId, labels: LabelsDep) -> Response:
    session = labels.get_session(session_id)
    return Response(to_jsonl(session, labels.standing(session_id)), media_type="application/x-ndjson")


@router.get("/{session_id}/export.labelstudio.json", response_class=Response,
            summary="The standing labels as Label Studio JSON tasks", responses={200: {"content": {
                "application/json": {}}}})
def export_label_studio(session_id: SessionId, labels: LabelsDep) -> Response:
    session = labels.get_session(session_id)
    return Response(json.dumps(to_label_studio(session, labels.standing(session_id))), media_type="application/json")


@router.post("/{session_id}/import", status_code=201, response_model=ImportPublic, responses=problems(409),
             summary="Import CSV labels (item,attribute,value[,labeller]): every row or none")
def import_labels(session_id: SessionId, body: ImportCreate, store: StoreDep, labels: LabelsDep,
                  jobs: JobsDep) -> ImportPublic:
    session = open_one(labels, session_id)
    n = import_csv(labels, load_held_out(store.home, session_id), session_id, body.csv, body.labeller)
    refit_if_due(store, jobs, labels, session)
    return ImportPublic(imported=n)
