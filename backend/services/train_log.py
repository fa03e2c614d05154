"""A run's logged training steps (``train_log.jsonl``, one JSON line per progress report, steps increasing) read
while training appends to it: the lines after a step, found by a binary search over byte offsets (a 1,000,000-step
run logged every step is some 100 MB; a poll reads about 30 short lines plus the page it answers), a partial last
line (being written) left for the next poll."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..jobs import Job
from ..runs import RunRecord
from ..runs.folders import LOG_FILE, run_dir
from .catalog import run_status

FIXED_KEYS = ("step", "time", "val_loss")  # every other key of a log line is a loss term


@dataclass
class LogPage:
    """Logged steps in columns: ``step[i]`` with ``time[i]`` (unix seconds; None in logs written before it was
    recorded), ``val_loss[i]`` (the latest validation loss then) and ``terms[name][i]`` (running means of the
    loss terms since the previous line; None where a line lacks the term). ``more``: complete lines follow."""

    step: list[int] = field(default_factory=list)
    time: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    terms: dict[str, list[float | None]] = field(default_factory=dict)
    more: bool = False

    def add(self, entry: dict[str, Any]) -> None:
        n = len(self.step)
        self.step.append(entry["step"])
        self.time.append(_finite(entry.get("time")))
        self.val_loss.append(_finite(entry.get("val_loss")))
        for name in [k for k in entry if k not in FIXED_KEYS and k not in self.terms]:  # in the line's order
            self.terms[name] = [None] * n  # a term first seen here: missing on the lines before
        for name, column in self.terms.items():
            column.append(_finite(entry.get(name)))


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _count(value: Any) -> int | None:
    """A training setting that counts steps (a run made elsewhere, a lens, may not have it): the int or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_line(line: bytes) -> dict[str, Any] | None:
    """A complete log line as a dict with an integer ``step``; None for a partial or unreadable line."""
    if not line.endswith(b"\n"):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    ok = isinstance(entry, dict) and isinstance(entry.get("step"), int) and not isinstance(entry["step"], bool)
    return entry if ok else None


def entries_from(f: IO[bytes], offset: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(start offset, entry) of each readable line that starts at or after byte ``offset``, up to the first
    partial line (the one being written)."""
    f.seek(max(offset - 1, 0))
    if offset > 0:
        f.readline()  # the rest of the line that holds byte offset - 1
    while True:
        start, line = f.tell(), f.readline()
        if not line.endswith(b"\n"):
            return
        entry = parse_line(line)
        if entry is not None:
            yield start, entry


def first_offset_after(f: IO[bytes], size: int, after: int) -> int:
    """The byte offset of the first line whose step exceeds ``after`` (``size`` when none does)."""
    def beyond(offset: int) -> bool:  # monotone in offset, as the log's steps increase
        entry = next(entries_from(f, offset), None)
        return entry is None or entry[1]["step"] > after

    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if beyond(mid) else (mid + 1, hi)
    return next(entries_from(f, lo), (size, None))[0]


def read_log(path: Path, after: int, limit: int) -> LogPage:
    """Up to ``limit`` logged steps after step ``after`` from the log at ``path`` (an empty page when it is not
    there yet). A step not above the one before it (never written by training, which truncates the log to its
    checkpoint on resume) is skipped, so the page's steps always increase."""
    page = LogPage()
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return page
    with f:
        last = after
        for _, entry in entries_from(f, first_offset_after(f, os.fstat(f.fileno()).st_size, after)):
            if entry["step"] <= last:
                continue
            if len(page.step) == limit:
                page.more = True
                break
            page.add(entry)
            last = entry["step"]
    return page


def train_log_view(home: Path, record: RunRecord, job: Job | None, after: int, limit: int) -> dict[str, Any]:
    """The ``TrainLogPublic`` dict of ``record``'s log after step ``after``. ``done``: no more lines will come (the
    run has weights, or its training job ended failed or cancelled: resuming it starts a new job)."""
    status, _ = run_status(record, job)
    page = read_log(run_dir(home, record.run_id) / LOG_FILE, after, limit)
    return {"run_id": record.run_id, "status": status, "done": status != "training",
            "total_steps": _count(record.train.get("steps")), "eval_every": _count(record.train.get("eval_every")),
            "after": after,
            "last_step": page.step[-1] if page.step else None, "more": page.more, "step": page.step,
            "time": page.time, "val_loss": page.val_loss, "terms": page.terms}
