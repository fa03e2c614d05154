"""A lens's label set on disk: ``labels.json`` in its run folder holds every (item, attribute, value) row and the
sources they came from (the simulated oracle: n + seed; an upload: its row count). A refit's new labels wait in
``labels.next.json`` until its weights are written, so a failed refit leaves the lens as it was."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from models import Dataset, LabelError, LabelSet, parse_label_rows, read_json, reveal, write_json

from ..schemas.lenses import LabelSource, OracleLabels, RowLabels

LABELS_FILE, NEXT_LABELS_FILE = "labels.json", "labels.next.json"
UploadKind = Literal["rows", "csv"]


class LensLabelError(ValueError):
    """Labels that do not fit the lens: ``field`` is where in the request (``body.labels.csv``), the message
    names the row and field at fault where there is one."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Labels:
    """A lens's labels and where they came from (each source: {"oracle": {"n", "seed"}} or {"upload": {...}})."""

    labels: LabelSet
    sources: tuple[dict[str, Any], ...]

    @property
    def oracle_only(self) -> bool:
        """Every label is the dataset's ground truth (so held-out items are scored against ground truth)."""
        return all("oracle" in s for s in self.sources)

    def merge(self, later: Labels) -> Labels:
        return Labels(self.labels.merge(later.labels), self.sources + later.sources)


def oracle_labels(dataset: Dataset, attributes: tuple[str, ...], n: int, seed: int) -> Labels:
    """Ground truth of ``attributes`` revealed for ``n`` items drawn with ``seed`` (``models.reveal``)."""
    if not 1 <= n <= len(dataset):
        raise LensLabelError("body.labels.oracle.n", f"expected 1..{len(dataset)} items (the dataset's size), got {n}")
    return Labels(reveal(dataset, attributes, n, seed), ({"oracle": {"n": n, "seed": seed}},))


def uploaded_labels(dataset: Dataset, attributes: tuple[str, ...], kind: UploadKind, content: Any) -> Labels:
    """Uploaded rows (a JSON list of {item, attribute, value} objects, or CSV text) checked against the dataset's
    schema and the lens's attributes; LensLabelError naming the row and field of the first bad one."""
    field = f"body.labels.{kind}"
    text = content if kind == "csv" else json.dumps(content)
    try:
        labels = parse_label_rows(text, "csv" if kind == "csv" else "json", dataset)
    except LabelError as err:
        raise LensLabelError(field, str(err)) from None
    extra = sorted(set(labels.attributes) - set(attributes))
    if extra:
        raise LensLabelError(field, f"labels for {extra}, which the lens does not have; expected labels of "
                                    f"{list(attributes)}")
    if labels.n_labels == 0:
        raise LensLabelError(field, "no label rows; expected at least one")
    return Labels(labels, ({"upload": {"kind": kind, "rows": labels.n_labels}},))


def save_labels(folder: Path, labels: Labels, pending: bool = False) -> None:
    """Write ``labels.json`` (or, for a refit still to run, ``labels.next.json``)."""
    rows = [[item, name, value] for item, name, value in labels.labels.rows()]
    write_json(folder / (NEXT_LABELS_FILE if pending else LABELS_FILE), {"sources": list(labels.sources),
                                                                       "rows": rows})


def load_labels(folder: Path, dataset: Dataset, pending: bool = False) -> Labels:
    """The saved labels (``pending``: those a refit will train on); rows read back through the schema check."""
    data = read_json(folder / (NEXT_LABELS_FILE if pending else LABELS_FILE))
    return Labels(LabelSet.from_rows(data["rows"], dataset), tuple(data["sources"]))


def has_pending(folder: Path) -> bool:
    return (folder / NEXT_LABELS_FILE).is_file()


def add_pending(folder: Path, dataset: Dataset, added: Labels) -> None:
    """Labels for the next refit: those it would train on now (a refit's still waiting, or the lens's own) and
    ``added`` (a later value for an item's attribute replaces the earlier), into labels.next.json."""
    save_labels(folder, load_labels(folder, dataset, pending=has_pending(folder)).merge(added), pending=True)


def commit(folder: Path, dataset: Dataset, trained: Labels) -> None:
    """The labels a fit trained on become the lens's labels (after its weights are written); labels.next.json goes
    too unless labels were added to it meanwhile (they wait for the next refit)."""
    save_labels(folder, trained)
    if has_pending(folder) and load_labels(folder, dataset, pending=True) == trained:
        (folder / NEXT_LABELS_FILE).unlink(missing_ok=True)


def summary(labels: Labels) -> dict[str, Any]:
    """Per attribute: how many items are labelled, and the class counts (categorical) or min/mean/max."""
    out: dict[str, Any] = {}
    for name in labels.labels.attributes:
        attribute, values = labels.labels.attribute(name), labels.labels.values(name)
        if attribute.kind == "categorical":
            counts = np.bincount(values, minlength=len(attribute.classes)).tolist() if len(values) else []
            shape: dict[str, Any] = {"class_counts": dict(zip(attribute.classes, counts, strict=False))}
        else:
            shape = {"min": float(values.min()), "mean": float(values.mean()), "max": float(values.max())} \
                if len(values) else {}
        out[name] = {"kind": attribute.kind, "n_labelled": len(values), **shape}
    return {"attributes": out, "sources": list(labels.sources), "n_labels": labels.labels.n_labels}


def labels_from_request(dataset: Dataset, attributes: tuple[str, ...], source: LabelSource) -> Labels:
    """A request's label source (oracle, rows or csv) -> Labels."""
    if isinstance(source, OracleLabels):
        return oracle_labels(dataset, attributes, source.oracle.n, source.oracle.seed)
    if isinstance(source, RowLabels):
        return uploaded_labels(dataset, attributes, "rows", [row.model_dump() for row in source.rows])
    return uploaded_labels(dataset, attributes, "csv", source.csv)
