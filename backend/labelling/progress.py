"""A session's progress: standing labels (in all and per labeller), retractions, skips, flags, and labelling pace.

Pace: the labels given (value rows, whether or not retracted since) in the trailing hour, over the time since the
first of them; at least a minute, so the first few labels do not read as thousands an hour.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, func, select

from ..db import label_events, labels
from .model import LabellerProgress, LabelSession, Progress, parse_stamp
from .queries import count_rows, standing_query

WINDOW = timedelta(hours=1)
MIN_SPAN = timedelta(minutes=1)


def read_progress(conn: Connection, session: LabelSession, now: str) -> Progress:
    sid = session.session_id
    standing = standing_query(sid).subquery()
    per_labeller: dict[str, int] = {name: int(n) for name, n in conn.execute(
        select(standing.c.labeller, func.count()).group_by(standing.c.labeller)).all()}
    events: dict[str, int] = {kind: int(n) for kind, n in conn.execute(
        select(label_events.c.kind, func.count()).where(label_events.c.session_id == sid)
        .group_by(label_events.c.kind)).all()}
    retractions = count_rows(conn, select(labels.c.id).where(labels.c.session_id == sid,
                                                             labels.c.retracts.is_not(None)))
    recent = _recent(conn, sid, now)
    given = sum(n for n, _ in recent.values())
    first = min((start for _, start in recent.values()), default=now)
    labellers = {name: _labeller(per_labeller.get(name, 0), *recent.get(name, (0, now)), now)
                 for name in sorted(set(per_labeller) | set(recent))}
    return Progress(labels=sum(per_labeller.values()), retractions=retractions, skips=events.get("skip", 0),
                    flags=events.get("flag", 0), labels_last_hour=given, labels_per_hour=_rate(given, first, now),
                    labellers=labellers)


def _recent(conn: Connection, session_id: str, now: str) -> dict[str, tuple[int, str]]:
    """labeller -> (labels given in the trailing hour, when the first of them was given)."""
    since = (parse_stamp(now) - WINDOW).isoformat(timespec="microseconds")
    query = (select(labels.c.labeller, func.count(), func.min(labels.c.created_at))
             .where(labels.c.session_id == session_id, labels.c.value.is_not(None), labels.c.created_at >= since,
                    labels.c.created_at <= now).group_by(labels.c.labeller))
    return {name: (int(n), first) for name, n, first in conn.execute(query).all()}


def _labeller(standing: int, given: int, first: str, now: str) -> LabellerProgress:
    return LabellerProgress(labels=standing, labels_last_hour=given, labels_per_hour=_rate(given, first, now))


def _rate(given: int, first: str, now: str) -> float:
    """Labels an hour: ``given`` over the time from ``first`` to ``now`` (at least MIN_SPAN)."""
    span = max(parse_stamp(now) - parse_stamp(first), MIN_SPAN)
    return given / (span / timedelta(hours=1))
