"""Which item a labeller gets next, inside the caller's write transaction (one per session at a time, so two
labellers never get the same item): their own unexpired lease if its item is still open to them, else the
best-ranked item that nobody else holds, that is not labelled, and that they have not skipped or flagged.

Two reads a call, whatever the pool: the items closed to the labeller (grows with the labels given) and the
unexpired leases (about one per active labeller); the ranked list is then scanned in memory up to the first
open item (a slice at a time: a pool of 50,000 is never copied whole)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import Connection, delete, insert, update

from ..db import leases
from .model import LabelSession, Lease, parse_stamp
from .queries import Row, closed_items, unexpired_leases

SCAN = 256  # ranked items looked at a time


def lease_next(conn: Connection, session: LabelSession, labeller: str, ranked: np.ndarray, scores: np.ndarray | None,
               now: str, lease_s: float, lens_version: str | None) -> Lease | None:
    """The item ``labeller`` should label now, leased to them until ``now`` + ``lease_s``; None when every item of
    ``ranked`` ((N,) item indices, best first, with (N,) ``scores`` or None) is labelled, held by someone else or
    passed over by ``labeller``."""
    expires = (parse_stamp(now) + timedelta(seconds=lease_s)).isoformat(timespec="microseconds")
    closed = closed_items(conn, session, labeller)
    held = unexpired_leases(conn, session.session_id, now)
    own = _own_open_lease(conn, [row for row in held if row["labeller"] == labeller], closed)
    if own is not None:
        return _renew(conn, own, expires)
    blocked = closed | {int(row["item"]) for row in held}
    rank = _first_open(ranked, blocked)
    if rank is None:
        return None
    score = None if scores is None else float(scores[rank])
    return _take(conn, Lease(session.session_id, int(ranked[rank]), labeller, now, expires, lens_version, score))


def _first_open(ranked: np.ndarray, blocked: set[int]) -> int | None:
    """The first position in ``ranked`` whose item is not ``blocked``."""
    for start in range(0, ranked.size, SCAN):
        for offset, item in enumerate(ranked[start:start + SCAN].tolist()):
            if item not in blocked:
                return start + offset
    return None


def _own_open_lease(conn: Connection, mine: list[Row], closed: set[int]) -> Row | None:
    """The newest of the labeller's unexpired leases (``mine``) whose item is not ``closed``; their leases on
    closed items (labelled by someone else since, say) are dropped."""
    stale = [int(row["item"]) for row in mine if row["item"] in closed]
    if stale:
        conn.execute(delete(leases).where(leases.c.session_id == mine[0]["session_id"], leases.c.item.in_(stale)))
    return next((row for row in mine if row["item"] not in closed), None)


def _renew(conn: Connection, row: Row, expires: str) -> Lease:
    """The labeller's own lease, its expiry pushed to ``expires`` (the item and what chose it unchanged)."""
    conn.execute(update(leases).where(leases.c.session_id == row["session_id"], leases.c.item == row["item"])
                 .values(expires_at=expires))
    return Lease(row["session_id"], int(row["item"]), row["labeller"], row["leased_at"], expires,
                 row["lens_version"], row["score"])


def _take(conn: Connection, lease: Lease) -> Lease:
    """Write ``lease``, over an expired lease of the same item if there is one."""
    values = {"labeller": lease.labeller, "leased_at": lease.leased_at, "expires_at": lease.expires_at,
              "lens_version": lease.lens_version, "score": lease.score}
    where = (leases.c.session_id == lease.session_id, leases.c.item == lease.item)
    if conn.execute(update(leases).where(*where).values(**values)).rowcount == 0:
        conn.execute(insert(leases).values(session_id=lease.session_id, item=lease.item, **values))
    return lease
