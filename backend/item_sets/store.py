"""``ItemSetStore``: the ``item_sets`` table (SQLite or PostgreSQL). Each write is one transaction, committed before
the method returns; reads are snapshots."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from ..db import item_sets, read_only
from ..errors import NotFound
from ..jobs.model import now_iso

SUMMARY = [c for c in item_sets.c if c.name != "items"]  # a list reads no items


class ItemSetNotFoundError(NotFound):
    """No item set of that id: a 404 problem."""

    slug = "item-set-not-found"


@dataclass(frozen=True)
class ItemSet:
    set_id: str
    run_id: str
    name: str
    n_items: int
    created_by: str | None
    created_at: str
    items: list[int] | None = None  # None in a list


class ItemSetStore:
    """Item sets in the database of ``engine`` (migrated by whoever opened it: the API's JobStore)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, run_id: str, name: str, items: Sequence[int], created_by: str | None) -> ItemSet:
        row = {"id": uuid.uuid4().hex, "run_id": run_id, "name": name, "items": json.dumps(list(items)),
               "n_items": len(items), "created_by": created_by, "created_at": now_iso()}
        with self.engine.begin() as conn:
            conn.execute(insert(item_sets).values(**row))
        return _item_set(row)

    def list(self, run_id: str) -> list[ItemSet]:
        """The run's sets, newest first, without their items."""
        query = select(*SUMMARY).where(item_sets.c.run_id == run_id).order_by(item_sets.c.created_at.desc(),
                                                                               item_sets.c.id)
        with read_only(self.engine) as conn:
            return [_item_set(row) for row in conn.execute(query).mappings()]

    def get(self, set_id: str) -> ItemSet:
        """The set with its items; ItemSetNotFoundError when there is none."""
        with read_only(self.engine) as conn:
            row = conn.execute(select(item_sets).where(item_sets.c.id == set_id)).mappings().first()
        if row is None:
            raise ItemSetNotFoundError(f"no item set {set_id!r}; expected an id from GET "
                                       "/api/v1/runs/{run_id}/item-sets")
        return _item_set(row)

    def delete(self, set_id: str) -> None:
        """Remove the set; ItemSetNotFoundError when there is none."""
        with self.engine.begin() as conn:
            if conn.execute(delete(item_sets).where(item_sets.c.id == set_id)).rowcount == 0:
                raise ItemSetNotFoundError(f"no item set {set_id!r}; expected an id from GET "
                                           "/api/v1/runs/{run_id}/item-sets")

    def delete_run(self, run_id: str) -> int:
        """Remove every set of the run (the run is being deleted: a run made later under its id starts with none);
        how many there were."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(item_sets).where(item_sets.c.run_id == run_id)).rowcount)


def _item_set(row: Any) -> ItemSet:
    items = row.get("items")
    return ItemSet(set_id=row["id"], run_id=row["run_id"], name=row["name"], n_items=int(row["n_items"]),
                   created_by=row["created_by"], created_at=row["created_at"],
                   items=json.loads(items) if items is not None else None)
