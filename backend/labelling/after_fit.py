"""The lens_fit job's last step: for every open labelling session on the lens, rank the pool with the new version
(so the queue switches to it) and add the version's point to the session's learning curve. A failure here is
logged and leaves the fit standing: the API then ranks the new version itself (``Rankings``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from sqlalchemy import Engine

from models import CONFIG_FILE, get_dataset, read_json

from ..lenses.fit import lens_model
from ..lenses.labels import load_labels
from ..runs import record_of, run_dir
from .curve import curve_point
from .model import LabelSession
from .scoring import ranking_key, score_pool
from .session_files import has_point, load_held_out, save_point
from .store import LabelStore

log = logging.getLogger("factorscope.labelling")
MAX_SESSIONS = 1000


def after_fit(home: Path, engine: Engine, lens_id: str, payload: dict[str, Any], device: torch.device) -> None:
    """Rankings and curve points of the lens's new version for its open sessions."""
    store = LabelStore(engine)
    sessions = [s for s in store.list_sessions(limit=MAX_SESSIONS) if s.lens_id == lens_id and s.state == "open"]
    if not sessions:
        return
    try:
        _score_sessions(home, store, lens_id, payload, sessions, device)
    except (ValueError, RuntimeError, OSError) as err:
        log.warning("ranking lens %s after its fit failed (the API will rank it): %s", lens_id, err)


def _score_sessions(home: Path, store: LabelStore, lens_id: str, payload: dict[str, Any],
                    sessions: list[LabelSession], device: torch.device) -> None:
    folder = run_dir(home, lens_id)
    header = read_json(folder / CONFIG_FILE)
    record = record_of(header)
    assert record.version is not None and record.parent is not None
    model = lens_model(home, folder, header, device).eval()
    dataset = get_dataset(record.dataset)
    labels = load_labels(folder, dataset)
    ranked: set[str] = set()  # sessions asking the same share one ranking
    for session in sessions:
        for attribute in session.attributes:
            if ranking_key(session, attribute.name) not in ranked:
                score_pool(model, dataset, folder, record.parent.version, record.version, session, attribute.name)
                ranked.add(ranking_key(session, attribute.name))
            if has_point(home, session.session_id, attribute.name, record.version):
                continue
            mine = payload.get("session_id") == session.session_id
            n_labels = int(payload["labels"]) if mine else store.progress(session.session_id).labels
            point = curve_point(model, dataset, labels, load_held_out(home, session.session_id), attribute.name,
                                n_labels, record.version)
            save_point(home, session.session_id, attribute.name, point)
