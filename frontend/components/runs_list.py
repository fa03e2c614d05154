"""Which runs the runs list shows and in what order: search, status filter, sort. Pure: runs and their metrics in,
a list out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..api_client import MetricsFile, RunSummary
from .tables import KEY_METRICS, key_metrics

SORT_LABELS: dict[str, str] = {"newest": "newest first", "oldest": "oldest first", "name": "run id, A to Z",
                               "mig": "MIG (dlib), highest first", "val_loss": "validation loss, lowest first"}
MISSING = float("inf")  # a run without the metric sorts last


def matches(run: RunSummary, search: str) -> bool:
    """Whether every word of ``search`` appears (any case) in the run's id, family, dataset or status."""
    haystack = f"{run.run_id} {run.family} {run.dataset} {run.status}".lower()
    return all(word in haystack for word in search.lower().split())


def sort_key(sort: str, metrics: Mapping[str, MetricsFile | None]) -> Callable[[RunSummary], Any]:
    """The key that puts runs in ``sort`` order (ties: newest first, by the stable sort of a newest-first list)."""
    def metric(run: RunSummary, name: str) -> float | None:
        return key_metrics(metrics.get(run.run_id)).get(name)

    if sort == "name":
        return lambda run: (run.run_id,)
    if sort == "mig":
        return lambda run: (-v if (v := metric(run, KEY_METRICS[2])) is not None else MISSING,)
    if sort == "val_loss":
        return lambda run: (v if (v := metric(run, KEY_METRICS[0])) is not None else MISSING,)
    return lambda run: (run.created,)


def select_runs(runs: Sequence[RunSummary], metrics: Mapping[str, MetricsFile | None], search: str = "",
                status: str | None = None, sort: str = "newest") -> list[RunSummary]:
    """The runs that match ``search`` and ``status`` (None: any), in ``sort`` order (one of state.RUN_SORTS)."""
    shown = [r for r in runs if matches(r, search) and (status is None or r.status == status)]
    return sorted(shown, key=sort_key(sort, metrics), reverse=sort == "newest")
