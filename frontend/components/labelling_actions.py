"""What one action on the Labelling page does: the write it sends (label, skip, flag, undo, a correction from the
history) and the item leased next. No Dash layout here; the page's ``advance`` callback calls ``perform`` and
``lease``, tests call them against the real API.

An action is what the browser draws for one click or key press (assets/labelling.js):
{"kind": "label" | "skip" | "flag" | "undo" | "edit", "item", "attribute", "value", "serial", "key"}; ``key`` goes
out as the write's Idempotency-Key, ``serial`` names the item shown when it was given."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dash import no_update
from dash.exceptions import PreventUpdate

from ..api_client import BackendError
from ..labelling_client import LabellingClient, NextItem
from .feedback import create_error_alert, create_message

MAX_TAKEN_MS = 2**31 - 1  # the API's limit of time_taken_ms


@dataclass(frozen=True)
class Seat:
    """One labeller at one session, asked about ``attribute`` (None: the session's first)."""

    client: LabellingClient
    session_id: str
    labeller: str
    attribute: str | None = None


def time_taken_ms(shown_at: Any, now: float) -> int | None:
    """Milliseconds from when the item was leased (``shown_at``, epoch seconds) to ``now``; None if unknown or
    beyond what the API records (a tab left open for weeks)."""
    if not isinstance(shown_at, int | float) or now < shown_at:
        return None
    taken = round(1000 * (now - shown_at))
    return taken if taken <= MAX_TAKEN_MS else None


def make_current(nxt: NextItem, now: float) -> dict[str, Any]:
    """The ``label-current`` store: the leased item, when it was leased, and a serial that the browser sends
    back with the answer (one answer per serial: a second key press for the same item is ignored)."""
    return {"next": nxt.model_dump(), "shown_at": now, "serial": uuid.uuid4().hex}


def reissue(current: Mapping[str, Any] | None) -> Any:
    """The item shown, under a new serial: after a failed write the browser takes an answer to it again."""
    return {**current, "serial": uuid.uuid4().hex} if current else no_update


def is_stale(action: Mapping[str, Any], current: Mapping[str, Any] | None) -> bool:
    """Whether an answer (label, skip, flag) was given to another item than the one shown now."""
    if action.get("kind") not in ("label", "skip", "flag"):
        return False
    return not current or action.get("serial") != current.get("serial")


def answer_value(action: Mapping[str, Any]) -> float | None:
    """The action's value as the API takes it (a class index or a number); None when it is neither."""
    value = action.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def lease(seat: Seat, status: str = "") -> tuple[Any, Any, Any]:
    """(the ``label-current`` store, a status line, a problem) for the item leased to the labeller now."""
    try:
        nxt = seat.client.next_item(seat.session_id, seat.labeller, seat.attribute)
    except BackendError as err:
        return None, status, create_error_alert(err, "get the next item to label")
    return make_current(nxt, time.time()), status, None


def perform(seat: Seat, action: Mapping[str, Any], current: Mapping[str, Any] | None,
            now: float) -> tuple[Any, Any, Any]:
    """Send one action; answers (the ``label-current`` store, a status line, a problem). An answer moves on to the
    next item; an undo or a correction keeps the item shown (read again after an undo, for its counts)."""
    if is_stale(action, current):
        raise PreventUpdate  # a second key press for an item already answered
    kind, key = action.get("kind"), str(action.get("key") or uuid.uuid4())
    try:
        if kind == "undo":  # the item shown stays leased to you
            return lease(seat, undo(seat, key))
        if kind == "edit":
            return no_update, correct(seat, action, key), None
        return answer(seat, action, current, now, key)
    except BackendError as err:
        if kind == "undo" and err.status == 409:
            return no_update, "Nothing to undo: you have no label in this session left to take back.", None
        return reissue(current), "", create_error_alert(err, f"save your {kind}")


def answer(seat: Seat, action: Mapping[str, Any], current: Mapping[str, Any] | None, now: float,
           key: str) -> tuple[Any, Any, Any]:
    """Label, skip or flag the item shown, then lease the next."""
    lc, sid, item = seat.client, seat.session_id, int(action["item"])
    if action.get("kind") == "skip":
        lc.skip(sid, item, seat.labeller, key)
        return lease(seat, f"Skipped item {item}.")
    if action.get("kind") == "flag":
        lc.flag(sid, item, seat.labeller, key)
        return lease(seat, f"Flagged item {item}; it will not be asked again.")
    value = answer_value(action)
    if value is None:
        return no_update, "", create_message("That answer has no value; press a class key or move the slider.")
    taken = time_taken_ms((current or {}).get("shown_at"), now)
    label = lc.label(sid, item, value, seat.labeller, action.get("attribute"), taken, key)
    return lease(seat, f"Item {item}: {label.value_name or value} saved.")


def undo(seat: Seat, key: str) -> str:
    """Take back your newest standing label; a status line."""
    undone = seat.client.undo(seat.session_id, seat.labeller, key)
    return f"Undid your label of item {undone.item} ({undone.value_name or undone.value})."


def correct(seat: Seat, action: Mapping[str, Any], key: str) -> str:
    """Change one of your labels from the history (a new label that replaces yours); a status line."""
    value = answer_value(action)
    if value is None:
        return "Type a number to change that label."
    label = seat.client.label(seat.session_id, int(action["item"]), value, seat.labeller, action.get("attribute"),
                              None, key)
    return f"Changed item {label.item} to {label.value_name or label.value}."
