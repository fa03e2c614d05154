"""A session's standing labels written out (CSV, JSON lines, Label Studio's JSON tasks) and read in (CSV).

CSV: the header ``item,attribute,value,labeller,created_at``, a categorical value as its class name (so the file
reads back through ``parse_import``). Label Studio: one task per item, one annotation per standing label, its result
a ``choices`` (class name) or ``number`` value from the attribute (``from_name``) on the image (``to_name``). A JSON
line and a task's data also name the item set the session was opened on (``item_set``: its id, or null)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

from .model import Label, LabelEvent, LabellingInputError, LabelSession
from .store import LabelStore

CSV_HEADER = ("item", "attribute", "value", "labeller", "created_at")
IMPORT_COLUMNS = ("item", "attribute", "value")  # and optionally labeller


def value_name(session: LabelSession, label: Label) -> str | None:
    """A categorical label's class name (None for a number or a retraction)."""
    spec = session.attribute(label.attribute)
    return None if label.value is None or spec.kind != "categorical" else spec.classes[int(label.value)]


def label_json(session: LabelSession, label: Label) -> dict[str, Any]:
    """The API's Label object."""
    return {"id": label.label_id, "item": label.item, "attribute": label.attribute, "value": label.value,
            "value_name": value_name(session, label), "labeller": label.labeller, "created_at": label.created_at,
            "time_taken_ms": label.time_taken_ms, "lens_version": label.lens_version, "score": label.score,
            "retracts": label.retracts, "retracted_by": label.retracted_by}


def event_json(event: LabelEvent) -> dict[str, Any]:
    """The API's skip or flag object."""
    return {"id": event.event_id, "item": event.item, "labeller": event.labeller, "kind": event.kind,
            "note": event.note, "created_at": event.created_at}


def to_csv(session: LabelSession, labels: Iterable[Label]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for label in labels:
        shown = value_name(session, label) if label.value is not None else None
        writer.writerow([label.item, label.attribute, label.value if shown is None else shown, label.labeller,
                         label.created_at])
    return out.getvalue()


def set_id(session: LabelSession) -> str | None:
    """The id of the item set the session was opened on (exported with every label), or None."""
    return None if session.item_set is None else session.item_set.set_id


def to_jsonl(session: LabelSession, labels: Iterable[Label]) -> str:
    """One label a line: the API's Label object and ``item_set`` (the session's set id, or null)."""
    return "".join(json.dumps({**label_json(session, label), "item_set": set_id(session)}) + "\n" for label in labels)


def to_label_studio(session: LabelSession, labels: Iterable[Label]) -> list[dict[str, Any]]:
    """Label Studio JSON tasks, items in the order their first standing label was given."""
    tasks: dict[int, dict[str, Any]] = {}
    for label in labels:
        task = tasks.setdefault(label.item, {"id": label.item, "data": {
            "image": f"/api/v1/datasets/{session.dataset}/items/{label.item}.png", "item": label.item,
            "item_set": set_id(session)},
            "annotations": []})
        task["annotations"].append({"result": [_result(session, label)], "completed_by": label.labeller,
                                    "created_at": label.created_at})
    return list(tasks.values())


def _result(session: LabelSession, label: Label) -> dict[str, Any]:
    name = value_name(session, label)
    value = {"choices": [name]} if name is not None else {"number": label.value}
    return {"from_name": label.attribute, "to_name": "image", "type": "choices" if name is not None else "number",
            "value": value}


def parse_import(text: str, default_labeller: str | None) -> list[tuple[int, str, object, str]]:
    """CSV text with the header item,attribute,value[,labeller] -> (item, attribute, value, labeller) rows (value as
    written; the store checks it); LabellingInputError naming the first row at fault (the header is row 1)."""
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if tuple(header[:3]) != IMPORT_COLUMNS or header[3:] not in ([], ["labeller"]):
        raise LabellingInputError("csv", f"row 1: expected the header item,attribute,value[,labeller], got "
                                         f"{','.join(header)!r:.100}")
    return [_import_row(cells, number, len(header), default_labeller) for number, cells in enumerate(reader, 2)]


def _import_row(cells: list[str], number: int, width: int, default_labeller: str | None
                ) -> tuple[int, str, object, str]:
    if len(cells) != width:
        raise LabellingInputError("csv", f"row {number}: expected {width} fields, got {len(cells)}")
    item = cells[0].strip()
    if not item.isdigit():
        raise LabellingInputError("csv", f"row {number}: item: expected an item index, got {item!r:.60}")
    labeller = cells[3] if width == 4 and cells[3].strip() else default_labeller
    if labeller is None:
        raise LabellingInputError("csv", f"row {number}: labeller: expected a labeller (a column, or the body's "
                                         "\"labeller\")")
    return int(item), cells[1].strip(), cells[2], labeller


def import_csv(labels: LabelStore, held_out: np.ndarray, session_id: str, text: str, labeller: str | None) -> int:
    """Store every row of the CSV ``text`` or none (LabellingInputError naming the first bad row); a held-out item
    is refused (its label would leak into the learning curve's test set)."""
    rows = parse_import(text, labeller)
    for number, row in enumerate(rows, 2):
        if row[0] in held_out:
            raise LabellingInputError("csv", f"row {number}: item: item {row[0]} is held out to score the learning "
                                             "curve; expected an item of the pool")
    return labels.import_labels(session_id, rows)
