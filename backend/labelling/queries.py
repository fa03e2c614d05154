"""The label store's SQL: reading sessions and labels into records, which labels stand, and which items of a
ranked list a labeller cannot be given.

A label *stands* when no row retracts it and no later label (by id) gives the same item and attribute another
value: a correction is a later label, and undoing the correction brings the earlier value back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, distinct, exists, func, select, union_all

from models import Attribute

from ..db import label_events, label_sessions, labels, leases
from .model import Label, LabelSession, LabelSessionNotFoundError, SessionSet

retraction = labels.alias("retraction")
Row = RowMapping | Mapping[str, Any]  # a row as read, or the values a write stored


def get_session(conn: Connection, session_id: str) -> LabelSession:
    row = conn.execute(select(label_sessions).where(label_sessions.c.id == session_id)).mappings().first()
    if row is None:
        raise LabelSessionNotFoundError(f"no labelling session {session_id!r}")
    return to_session(row)


def to_session(row: Row) -> LabelSession:
    attributes = tuple(_attribute(schema) for schema in json.loads(row["attributes"]))
    return LabelSession(session_id=row["id"], run_id=row["run_id"], lens_id=row["lens_id"], dataset=row["dataset"],
                        n_items=int(row["n_items"]), attributes=attributes, strategy=row["strategy"],
                        batch_size=int(row["batch_size"]), refit_every=int(row["refit_every"]),
                        created=row["created"], state=row["state"], item_set=_item_set(row))


def _item_set(row: Row) -> SessionSet | None:
    """The set a session was opened on (its id, name and pool of items), or None (every item)."""
    if row.get("item_set") is None:
        return None
    return SessionSet(set_id=row["item_set"], name=row["item_set_name"], items=tuple(json.loads(row["pool"])))


def _attribute(schema: dict[str, Any]) -> Attribute:
    """An attribute's schema from its ``Attribute.to_json``."""
    return Attribute(name=schema["name"], kind=schema["kind"], description=schema["description"],
                     classes=tuple(schema["classes"] or ()), lo=schema["lo"], hi=schema["hi"], unit=schema["unit"])


def not_retracted() -> Any:
    """The condition on ``labels``: no row retracts this one."""
    return ~exists().where(retraction.c.retracts == labels.c.id)


def label_query() -> Select[Any]:
    """Every column of ``labels`` and ``retracted_by``: the id of the row retracting it, or NULL."""
    return select(labels, retraction.c.id.label("retracted_by")).outerjoin(
        retraction, retraction.c.retracts == labels.c.id)


def to_label(row: Row, session: LabelSession) -> Label:
    """A label record; a categorical value read back as its class index."""
    value = row["value"]
    if value is not None and session.attribute(row["attribute"]).kind == "categorical":
        value = int(value)
    return Label(label_id=int(row["id"]), session_id=row["session_id"], item=int(row["item"]),
                 attribute=row["attribute"], value=value, labeller=row["labeller"], created_at=row["created_at"],
                 time_taken_ms=row["time_taken_ms"], lens_version=row["lens_version"], score=row["score"],
                 retracts=row["retracts"], idempotency_key=row["idempotency_key"],
                 retracted_by=row.get("retracted_by"))


def standing_query(session_id: str) -> Select[Any]:
    """The standing labels of a session (one per labelled item and attribute), in the order they were given."""
    latest = func.row_number().over(partition_by=(labels.c.item, labels.c.attribute), order_by=labels.c.id.desc())
    given = (select(labels, latest.label("latest"))
             .where(labels.c.session_id == session_id, labels.c.value.is_not(None), not_retracted()).subquery())
    return (select(*(given.c[c.name] for c in labels.c)).where(given.c.latest == 1).order_by(given.c.id))


def closed_items(conn: Connection, session: LabelSession, labeller: str) -> set[int]:
    """The items ``labeller`` is done with: labelled (a label stands for every attribute of the session), or
    skipped or flagged by ``labeller``. One query over the session's labels and the labeller's events."""
    sid = session.session_id
    passed = select(label_events.c.item).where(label_events.c.session_id == sid, label_events.c.labeller == labeller)
    return set(conn.execute(union_all(done_items(session), passed)).scalars())


def done_items(session: LabelSession, *where: Any) -> Select[Any]:
    """The items of the session (those matching ``where``) with a standing label for every attribute."""
    return (select(labels.c.item)
            .where(labels.c.session_id == session.session_id, labels.c.value.is_not(None), not_retracted(), *where)
            .group_by(labels.c.item).having(func.count(distinct(labels.c.attribute)) >= len(session.attributes)))


def unexpired_leases(conn: Connection, session_id: str, now: str) -> list[RowMapping]:
    """The session's leases that hold their item after ``now``, newest first."""
    query = (select(leases).where(leases.c.session_id == session_id, leases.c.expires_at > now)
             .order_by(leases.c.leased_at.desc()))
    return list(conn.execute(query).mappings())


def count_rows(conn: Connection, query: Select[Any]) -> int:
    """How many rows ``query`` returns."""
    return int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)

