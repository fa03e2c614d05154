"""``LabelStore``: labelling sessions, append-only labels, skips and flags, and leases, in the jobs database.

Every write is one transaction, committed before the method returns (so an API that answers 2xx after it has
stored the label durably), serialised per session (``Transactions.write``). Reads are snapshots. Ranking is not
the store's: ``lease_next`` takes the ranked items (best first; BALD or another strategy's scores) as an argument.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, CursorResult, Engine, delete, insert, select, update

from models import Attribute, Dataset, LabelSet

from ..db import label_events, label_sessions, labels, leases, upgrade
from .checks import (
    MAX_BATCH,
    MAX_HISTORY,
    check_count,
    check_item,
    check_lease_s,
    check_name,
    check_note,
    check_optional_name,
    check_ranking,
    check_strategy,
    check_time_taken,
)
from .leasing import lease_next
from .model import (
    LEASE_S,
    REFIT_EVERY,
    EventKind,
    IdempotencyConflictError,
    Label,
    LabelEvent,
    LabellingInputError,
    LabelSession,
    LabelSessionClosedError,
    Lease,
    NothingToUndoError,
    Progress,
    SessionSet,
    stamp,
)
from .progress import read_progress
from .queries import (
    count_rows,
    done_items,
    get_session,
    label_query,
    not_retracted,
    standing_query,
    to_label,
    to_session,
)
from .transactions import Transactions

MAX_LIST = 1000


class LabelStore:
    """Labelling over ``engine`` (the jobs database: SQLite or PostgreSQL), migrated to the head revision on opening.
    Safe to share between threads; several processes may use one database. Methods taking ``now`` (an aware
    datetime) use the current time without it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._transactions = Transactions(engine)
        upgrade(engine)

    # --- sessions ---------------------------------------------------------------------------------------

    def create_session(self, run_id: str, dataset: Dataset, attributes: Sequence[str], strategy: str = "bald",
                       batch_size: int = 1, refit_every: int = REFIT_EVERY, lens_id: str | None = None,
                       now: datetime | None = None, item_set: SessionSet | None = None) -> LabelSession:
        """A new open session labelling ``attributes`` of ``dataset``'s items (their schemas are kept with it); its
        pool is ``item_set``'s items when given (kept in the session's row), else every item."""
        session_id = uuid.uuid4().hex
        row = {"id": session_id, "run_id": check_name(run_id, "run_id"),
               "lens_id": check_optional_name(lens_id, "lens_id"), "dataset": dataset.info.name,
               "n_items": len(dataset), "attributes": json.dumps([a.to_json() for a in _schemas(dataset, attributes)]),
               "strategy": check_strategy(strategy), "batch_size": check_count(batch_size, "batch_size", 1, MAX_BATCH),
               "refit_every": check_count(refit_every, "refit_every", 1, 1_000_000), "created": _now(now),
               "state": "open", **_set_columns(item_set, len(dataset))}
        with self._transactions.write(session_id) as conn:
            conn.execute(insert(label_sessions).values(**row))
        return to_session(row)

    def get_session(self, session_id: str) -> LabelSession:
        """The session ``session_id``; LabelSessionNotFoundError when there is none."""
        with self._transactions.read() as conn:
            return get_session(conn, session_id)

    def list_sessions(self, run_id: str | None = None, limit: int = 100) -> list[LabelSession]:
        """The newest ``limit`` sessions, newest first, optionally only those of ``run_id``."""
        query = (select(label_sessions).order_by(label_sessions.c.created.desc(), label_sessions.c.id.desc())
                 .limit(check_count(limit, "limit", 1, MAX_LIST)))
        if run_id is not None:
            query = query.where(label_sessions.c.run_id == run_id)
        with self._transactions.read() as conn:
            return [to_session(row) for row in conn.execute(query).mappings()]

    def close_session(self, session_id: str) -> LabelSession:
        """Close the session: it keeps its labels and takes no more labels, skips, flags or leases."""
        with self._transactions.write(session_id) as conn:
            get_session(conn, session_id)
            conn.execute(update(label_sessions).where(label_sessions.c.id == session_id).values(state="closed"))
            return get_session(conn, session_id)

    # --- the labelling loop -----------------------------------------------------------------------------

    def lease_next(self, session_id: str, labeller: str, ranked_items: Sequence[int] | np.ndarray,
                   now: datetime | None = None, scores: Sequence[float] | np.ndarray | None = None,
                   lens_version: str | None = None, lease_s: float = LEASE_S) -> Lease | None:
        """Lease ``labeller`` the item to label next for ``lease_s`` seconds: their own unexpired lease if its
        item is still open, else the first of ``ranked_items`` ((N,) item indices, best first, with their (N,)
        acquisition ``scores`` from lens ``lens_version``) not labelled, not held by another labeller (an expired
        lease holds nothing) and not skipped or flagged by ``labeller``. None when no such item is left."""
        name, seconds = check_name(labeller, "labeller"), check_lease_s(lease_s)
        version = check_optional_name(lens_version, "lens_version")
        with self._transactions.write(session_id) as conn:
            session = _open_session(conn, session_id)
            ranked, ranked_scores = check_ranking(ranked_items, scores, session.n_items)
            return lease_next(conn, session, name, ranked, ranked_scores, _now(now), seconds, version)

    def add_label(self, session_id: str, item: int, value: object, labeller: str,
                  idempotency_key: str | None = None, attribute: str | None = None,
                  time_taken_ms: int | None = None, now: datetime | None = None) -> Label:
        """Store ``labeller``'s ``value`` (a class name or index, or a number: checked against the attribute's
        schema) for ``item``'s ``attribute`` (None: the session's only one), committed before it returns. The lens
        version and score that chose the item come from the labeller's lease on it, which ends once every attribute
        of the item is labelled. The same ``idempotency_key`` again returns the label it stored first
        (IdempotencyConflictError if it asked for something else)."""
        name, took = check_name(labeller, "labeller"), check_time_taken(time_taken_ms)
        key = check_optional_name(idempotency_key, "idempotency_key")
        with self._transactions.write(session_id) as conn:
            session = _open_session(conn, session_id)
            spec, index = session.attribute(attribute), check_item(item, session.n_items)
            parsed = _parse(spec, value)
            wanted = {"item": index, "attribute": spec.name, "value": parsed, "labeller": name}
            first = _by_key(conn, session, key, wanted)
            if first is not None:
                return first
            mine = (leases.c.session_id == session_id, leases.c.item == index, leases.c.labeller == name)
            lease = conn.execute(select(leases.c.lens_version, leases.c.score).where(*mine)).first()
            label = _insert(conn, session, {**wanted, "time_taken_ms": took, "idempotency_key": key,
                                            "lens_version": lease[0] if lease else None,
                                            "score": lease[1] if lease else None, "created_at": _now(now)})
            if conn.execute(done_items(session, labels.c.item == index)).first() is not None:
                conn.execute(delete(leases).where(*mine))  # every attribute labelled: the lease has done its job
            return label

    def import_labels(self, session_id: str, rows: Sequence[tuple[int, str, object, str]],
                      now: datetime | None = None) -> int:
        """Store (item, attribute, value, labeller) rows all in one transaction, or none: the first row that does
        not fit raises LabellingInputError naming it (``rows[k]`` is row k + 2 of a CSV with a header)."""
        created = _now(now)
        with self._transactions.write(session_id) as conn:
            session = _open_session(conn, session_id)
            values = [_import_row(session, k + 2, row) for k, row in enumerate(rows)]
            if values:
                conn.execute(insert(labels), [{"session_id": session_id, "created_at": created, **v} for v in values])
        return len(values)

    def undo(self, session_id: str, labeller: str, idempotency_key: str | None = None,
             now: datetime | None = None) -> Label:
        """Retract ``labeller``'s last label that stands unretracted: a new row (value None, ``retracts`` its id),
        so the history keeps both. The same ``idempotency_key`` again returns the first retraction.
        NothingToUndoError when the labeller has nothing left to retract."""
        name, key = check_name(labeller, "labeller"), check_optional_name(idempotency_key, "idempotency_key")
        with self._transactions.write(session_id) as conn:
            session = _open_session(conn, session_id)
            first = _by_key(conn, session, key, {"labeller": name, "value": None})
            if first is not None:
                return first
            last = conn.execute(select(labels).where(labels.c.session_id == session_id, labels.c.labeller == name,
                                                     labels.c.value.is_not(None), not_retracted())
                                .order_by(labels.c.id.desc()).limit(1)).mappings().first()
            if last is None:
                raise NothingToUndoError(f"labeller {name!r} has no label in session {session_id!r} left to undo")
            return _insert(conn, session, {"item": last["item"], "attribute": last["attribute"], "value": None,
                                           "labeller": name, "retracts": last["id"], "idempotency_key": key,
                                           "created_at": _now(now)})

    def skip(self, session_id: str, item: int, labeller: str, now: datetime | None = None) -> LabelEvent:
        """``labeller`` passes over ``item``: it leaves their queue (not the others'), and their lease on it ends."""
        return self._event("skip", session_id, item, labeller, None, now)

    def flag(self, session_id: str, item: int, labeller: str, note: str | None = None,
             now: datetime | None = None) -> LabelEvent:
        """``labeller`` flags ``item`` for review (``note``: why); like a skip, it leaves their queue."""
        return self._event("flag", session_id, item, labeller, check_note(note), now)

    def _event(self, kind: EventKind, session_id: str, item: int, labeller: str, note: str | None,
               now: datetime | None) -> LabelEvent:
        name = check_name(labeller, "labeller")
        with self._transactions.write(session_id) as conn:
            index = check_item(item, _open_session(conn, session_id).n_items)
            created = _now(now)
            inserted = conn.execute(insert(label_events).values(session_id=session_id, item=index, labeller=name,
                                                                kind=kind, note=note, created_at=created))
            conn.execute(delete(leases).where(leases.c.session_id == session_id, leases.c.item == index,
                                              leases.c.labeller == name))
        return LabelEvent(_inserted_id(inserted), session_id, index, name, kind, note, created)

    # --- reading labels ---------------------------------------------------------------------------------

    def history(self, session_id: str, n: int = 10, labeller: str | None = None) -> list[Label]:
        """The last ``n`` rows of the session (labels and retractions; only ``labeller``'s when given), newest first;
        a retracted label says by which row (``retracted_by``)."""
        query = (label_query().where(labels.c.session_id == session_id).order_by(labels.c.id.desc())
                 .limit(check_count(n, "n", 1, MAX_HISTORY)))
        if labeller is not None:
            query = query.where(labels.c.labeller == check_name(labeller, "labeller"))
        with self._transactions.read() as conn:
            session = get_session(conn, session_id)
            return [to_label(row, session) for row in conn.execute(query).mappings()]

    def label(self, session_id: str, label_id: int) -> Label:
        """Row ``label_id`` of the session (LabellingInputError naming ``label_id`` when it has none)."""
        with self._transactions.read() as conn:
            session = get_session(conn, session_id)
            row = conn.execute(label_query().where(labels.c.session_id == session_id, labels.c.id == label_id)
                               ).mappings().first()
        if row is None:
            raise LabellingInputError("label_id", f"expected a label of session {session_id!r}, got {label_id!r}")
        return to_label(row, session)

    def standing_count(self, session_id: str) -> int:
        """How many labels stand (one per labelled item and attribute); one query."""
        with self._transactions.read() as conn:
            get_session(conn, session_id)
            return count_rows(conn, standing_query(session_id))

    def done_items(self, session_id: str) -> set[int]:
        """The items with a standing label for every attribute of the session."""
        with self._transactions.read() as conn:
            return set(conn.execute(done_items(get_session(conn, session_id))).scalars())

    def standing(self, session_id: str) -> list[Label]:
        """The labels that stand (one per labelled item and attribute: the latest not retracted), oldest first."""
        with self._transactions.read() as conn:
            session = get_session(conn, session_id)
            return [to_label(row, session) for row in conn.execute(standing_query(session_id)).mappings()]

    def standing_labels(self, session_id: str, dataset: Dataset) -> LabelSet:
        """The standing labels as a LabelSet of ``dataset`` (the session's: same name and number of items)."""
        session = self.get_session(session_id)
        if (dataset.info.name, len(dataset)) != (session.dataset, session.n_items):
            raise LabellingInputError("dataset", f"expected the session's dataset {session.dataset!r} of "
                                                 f"{session.n_items} items, got {dataset.info.name!r} of "
                                                 f"{len(dataset)}")
        rows = ((label.item, label.attribute, label.value) for label in self.standing(session_id))
        return LabelSet.from_rows(rows, dataset)

    def progress(self, session_id: str, now: datetime | None = None) -> Progress:
        """Standing labels in all and per labeller, retractions, skips, flags and labels per hour."""
        with self._transactions.read() as conn:
            return read_progress(conn, get_session(conn, session_id), _now(now))


def _schemas(dataset: Dataset, attributes: Sequence[str]) -> list[Attribute]:
    """The schemas of ``attributes`` (one or more distinct names of ``dataset``'s attributes)."""
    names = list(attributes) if not isinstance(attributes, str) else [attributes]
    known = [a.name for a in dataset.attribute_specs()]
    if not names or len(set(names)) != len(names) or not set(names) <= set(known):
        raise LabellingInputError("attributes", f"expected one or more distinct attributes of dataset "
                                                f"{dataset.info.name!r} ({known}), got {names!r:.200}")
    return [dataset.attribute(name) for name in names]


def _set_columns(item_set: SessionSet | None, n_items: int) -> dict[str, Any]:
    """The session row's item_set, item_set_name and pool (JSON, sorted) for ``item_set`` (None: all NULL)."""
    if item_set is None:
        return {"item_set": None, "item_set_name": None, "pool": None}
    items = np.asarray(item_set.items)
    if items.size == 0 or items.dtype.kind not in "iu" or items.min() < 0 or items.max() >= n_items \
            or np.unique(items).size != items.size:
        raise LabellingInputError("item_set", f"expected one or more distinct items in 0..{n_items - 1}, got "
                                              f"{item_set.items!r:.100}")
    return {"item_set": check_name(item_set.set_id, "item_set"), "item_set_name": item_set.name,  # as the set has it
            "pool": json.dumps(np.sort(items).tolist())}


def _open_session(conn: Connection, session_id: str) -> LabelSession:
    session = get_session(conn, session_id)
    if session.state != "open":
        raise LabelSessionClosedError(f"labelling session {session_id!r} is {session.state}; expected an open one")
    return session


def _parse(spec: Attribute, value: object) -> int | float:
    """``value`` as the attribute's class index or number; LabellingInputError naming the attribute otherwise."""
    try:
        return spec.parse(value)
    except ValueError as err:
        raise LabellingInputError("value", f"{spec.name}: {err}") from None


def _import_row(session: LabelSession, number: int, row: tuple[int, str, object, str]) -> dict[str, Any]:
    """One imported row's columns; LabellingInputError naming ``row <number>`` and the field at fault."""
    item, attribute, value, labeller = row
    try:
        spec = session.attribute(attribute)
        return {"item": check_item(item, session.n_items), "attribute": spec.name, "value": _parse(spec, value),
                "labeller": check_name(labeller, "labeller")}
    except LabellingInputError as err:
        raise LabellingInputError(f"row {number}", f"{err.field}: {err.message}") from None


def _by_key(conn: Connection, session: LabelSession, key: str | None, wanted: dict[str, Any]) -> Label | None:
    """The row stored under idempotency ``key`` if there is one and it matches ``wanted`` (a retry);
    IdempotencyConflictError if it was another request."""
    if key is None:
        return None
    row = conn.execute(label_query().where(labels.c.session_id == session.session_id,
                                           labels.c.idempotency_key == key)).mappings().first()
    if row is None:
        return None
    if any(row[column] != value for column, value in wanted.items()):
        raise IdempotencyConflictError(f"idempotency key {key!r} was used in session {session.session_id!r} for "
                                       f"another request (label {row['id']}); expected a new key for a new request")
    return to_label(row, session)


def _insert(conn: Connection, session: LabelSession, row: dict[str, Any]) -> Label:
    """Append ``row`` (with the session) to ``labels``."""
    values = {"session_id": session.session_id, **row}
    label_id = _inserted_id(conn.execute(insert(labels).values(**values)))
    return to_label({"id": label_id, "time_taken_ms": None, "lens_version": None, "score": None, "retracts": None,
                     "idempotency_key": None, **values}, session)


def _inserted_id(result: CursorResult[Any]) -> int:
    """The id the database gave the row ``result`` inserted."""
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row always has one
    return int(key[0])


def _now(now: datetime | None) -> str:
    return stamp(datetime.now(UTC) if now is None else now)
