"""``Rankings``: the queue's order as the API serves it, one per API process.

A lens version's ranking is read from the lens folder (the lens_fit job writes it right after a fit, for the open
sessions on the lens) and kept in memory under (lens id, version, ranking name). Labelling never waits for
training: while the newest version's ranking is missing, the newest saved one of an older version serves and the
newest is computed in the background (once). Only a session with no ranking at all waits for its first one.

A session's queue is its ranking without the session's held-out items, with each item's rank position."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..runs import RunRecord, run_dir
from ..store import LRU, RunStore
from .model import LabelSession
from .ranking import Ranking
from .ranking_files import load_ranking, newest_saved, ranking_path
from .scoring import ranking_key, score_pool

log = logging.getLogger("factorscope.labelling")
CACHE_SIZE = 16  # rankings (and session queues) kept in memory


@dataclass(frozen=True)
class Queue:
    """A session's order: items (P,) best first (held-out items left out), their scores (P,) or None (random),
    positions (n_items,) each item's index into ``items`` (-1: not in the queue), and the ranking it came from."""

    items: np.ndarray
    scores: np.ndarray | None
    positions: np.ndarray
    ranking: Ranking


class Rankings:
    """Rankings and session queues in memory, a background thread that makes a missing newest ranking."""

    def __init__(self) -> None:
        self._rankings, self._queues = LRU(CACHE_SIZE), LRU(CACHE_SIZE)
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self._pending: set[tuple[str, ...]] = set()
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranking")

    def close(self) -> None:
        self._background.shutdown(wait=False, cancel_futures=True)

    def queue(self, store: RunStore, lens: RunRecord, session: LabelSession, attribute: str,
              held_out: Callable[[], np.ndarray]) -> Queue:
        """The session's queue for ``attribute`` from the newest ranking there is (``lens``: the lens's current
        record); ``held_out`` gives the session's held-out items when the queue is first built."""
        ranking = self.ranking(store, lens, session, attribute)
        key = (session.session_id, ranking.lens_version, ranking_key(session, attribute))
        cached = self._queues.get(key)
        if cached is None:
            cached = make_queue(ranking, held_out(), session.n_items)
            self._queues.put(key, cached)
        return cached

    def ranking(self, store: RunStore, lens: RunRecord, session: LabelSession, attribute: str) -> Ranking:
        """The ranking of ``lens``'s current version, else (while that one is made in the background) the newest
        saved, else one computed now."""
        folder, name = run_dir(store.home, lens.run_id), ranking_key(session, attribute)
        assert lens.version is not None
        key = (lens.run_id, lens.version, name)
        found = self._read(key, ranking_path(folder, lens.version, name))
        if found is not None:
            return found
        older = newest_saved(folder, name)
        if older is not None:
            self._in_background(key, lambda: self._compute(key, store, lens, session, attribute))
            served = self._read((lens.run_id, older.parent.name, name), older)
            if served is not None:
                return served
        return self._compute(key, store, lens, session, attribute)

    def serving_version(self, store: RunStore, lens: RunRecord, session: LabelSession, attribute: str
                        ) -> str | None:
        """The lens version whose ranking the queue would use now (without computing one); None when none is saved."""
        folder, name = run_dir(store.home, lens.run_id), ranking_key(session, attribute)
        if lens.version is not None and ranking_path(folder, lens.version, name).is_file():
            return lens.version
        older = newest_saved(folder, name)
        return older.parent.name if older is not None else None

    def _read(self, key: tuple[str, ...], path: Path) -> Ranking | None:
        cached = self._rankings.get(key)
        if cached is None and path.is_file():
            cached = load_ranking(path)
            self._rankings.put(key, cached)
        return cached

    def _compute(self, key: tuple[str, ...], store: RunStore, lens: RunRecord, session: LabelSession,
                 attribute: str) -> Ranking:
        """Score the pool with the lens at ``lens.version`` (once per key: a second caller waits for the first)."""
        with self._lock_of(key):
            cached = self._rankings.get(key)
            if cached is not None:
                return cached
            loaded = store.load(lens)
            assert lens.parent is not None and lens.version is not None
            ranking = score_pool(loaded.model, loaded.dataset, run_dir(store.home, lens.run_id), lens.parent.version,
                                 lens.version, session, attribute)
            self._rankings.put(key, ranking)
            return ranking

    def _in_background(self, key: tuple[str, ...], compute: Callable[[], Ranking]) -> None:
        with self._guard:
            if key in self._pending:
                return
            self._pending.add(key)

        def run() -> None:
            try:
                compute()
            except Exception:  # a background failure must not go unseen; the older ranking keeps serving
                log.exception("ranking %s failed in the background", key)
            finally:
                with self._guard:
                    self._pending.discard(key)

        self._background.submit(run)

    def _lock_of(self, key: tuple[str, ...]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def make_queue(ranking: Ranking, held_out: np.ndarray, n_items: int) -> Queue:
    """``ranking`` without the ``held_out`` items (H,), with each item's position."""
    keep = ~np.isin(ranking.ranked, held_out)
    items = ranking.ranked[keep]
    positions = np.full(n_items, -1, dtype=np.int64)
    positions[items] = np.arange(items.size)
    return Queue(items, None if ranking.scores is None else ranking.scores[keep], positions, ranking)
