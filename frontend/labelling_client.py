"""The label-session calls of the Labelling page (issue 17), over the one transport of ``BackendClient`` (its
httpx client, headers and problem handling). The answers' shapes are the label-sessions contract:
``GET/POST /api/v1/label-sessions...``.

Every write that records a label (label, skip, flag, undo) takes the ``key`` the browser drew for that one
user action and sends it as the ``Idempotency-Key`` header: a request sent again stores nothing new."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .api_client import API, BackendClient, Model, _path

Strategy = Literal["bald", "bald_batch", "max_entropy", "random"]
STRATEGIES: dict[str, str] = {  # strategy -> what the page calls it
    "bald": "most informative (BALD)",
    "bald_batch": "most informative, varied batch (batch-aware BALD)",
    "max_entropy": "most uncertain (max entropy)",
    "random": "random",
}


class Attribute(Model):
    """An attribute's schema (as GET /datasets/{name}/attributes gives it): classes, or a range and unit."""

    name: str
    kind: Literal["categorical", "continuous"]
    classes: list[str] | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    description: str = ""


class Rate(Model):
    labels: int = 0
    labels_last_hour: int = 0
    labels_per_hour: float = 0.0


class Progress(Rate):
    retractions: int = 0
    skips: int = 0
    flags: int = 0
    labellers: dict[str, Rate] = Field(default_factory=dict)


class Refit(Model):
    state: Literal["idle", "queued", "running", "failed"] = "idle"
    job_id: str | None = None
    labels_at_last_refit: int = 0
    next_refit_at: int = 0


class SessionSet(Model):
    """The item set a session asks about (its items are the pool)."""

    set_id: str
    name: str
    n_items: int


class LabelSession(Model):
    id: str
    run_id: str
    lens_id: str | None = None
    dataset: str
    n_items: int = 0
    attributes: list[Attribute]
    strategy: str = "bald"
    batch_size: int = 1
    refit_every: int = 50
    created: str = ""
    state: Literal["open", "closed"] = "open"
    progress: Progress = Field(default_factory=Progress)
    lens_version: str | None = None
    refit: Refit = Field(default_factory=Refit)
    held_out: int = 0  # items kept out of the queue to score the learning curve
    item_set: SessionSet | None = None  # None: every item of the dataset

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


class NextItem(Model):
    """The item leased to a labeller (``item`` None: nothing is left to label) and why it was chosen."""

    item: int | None
    attribute: str
    expires_at: str | None = None
    lens_version: str | None = None
    score: float | None = None  # nats; None for random
    rank: int | None = None
    pool: int | None = None
    reason: str = ""
    prediction: dict[str, Any] | None = None
    image_url: str | None = None  # backend paths (/api/v1/...): the page puts them on the browser's backend URL
    reconstruction_url: str | None = None
    labelled_total: int = 0


class Label(Model):
    id: int
    item: int
    attribute: str
    value: int | float | None = None  # categorical: the class index; None on an undo
    value_name: str | None = None
    labeller: str = ""
    created_at: str = ""
    time_taken_ms: int | None = None
    lens_version: str | None = None
    score: float | None = None
    retracts: int | None = None  # this row retracts that label (an undo)
    retracted_by: int | None = None  # a later row retracted this one


class CurvePoint(Model):
    labels: int
    score: float | None = None  # None: the version could not be scored (``error`` says why)
    accuracy: float | None = None
    error: str | None = None
    lens_version: str = ""
    created_at: str = ""


class Curve(Model):
    attribute: str = ""
    held_out: int = 0
    points: list[CurvePoint] = Field(default_factory=list)


def backend_path(url: str | None) -> str | None:
    """A contract URL (a path under /api/v1) as given, else None (the page shows no image for anything else)."""
    return url if url and url.startswith(API + "/") else None


class LabellingClient:
    """The label-session calls, on ``backend``'s transport."""

    def __init__(self, backend: BackendClient) -> None:
        self.backend = backend

    def _write(self, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        return self.backend._json("POST", path, body=body, headers={"Idempotency-Key": key} if key else None)

    # -- sessions -------------------------------------------------------------------------------
    def sessions(self, run_id: str | None = None, state: str | None = None) -> list[LabelSession]:
        """Sessions, newest first (of one base run, in one state, when given)."""
        answer = self.backend._json("GET", _path("label-sessions"), {"run_id": run_id, "state": state})
        return [LabelSession.model_validate(s) for s in answer["sessions"]]

    def session(self, session_id: str) -> LabelSession:
        return LabelSession.model_validate(self.backend._json("GET", _path("label-sessions", session_id)))

    def create_session(self, run_id: str, lens_id: str, attributes: list[str], strategy: str,
                       refit_every: int | None = None, item_set: str | None = None) -> LabelSession:
        """A new session; ``item_set``: one of the run's item sets, whose items are then the only ones asked."""
        body: dict[str, Any] = {"run_id": run_id, "lens_id": lens_id, "attributes": attributes, "strategy": strategy}
        if refit_every is not None:
            body["refit_every"] = refit_every
        if item_set is not None:
            body["item_set"] = item_set
        return LabelSession.model_validate(self._write(_path("label-sessions"), body))

    # -- labelling -------------------------------------------------------------------------------
    def next_item(self, session_id: str, labeller: str, attribute: str | None = None) -> NextItem:
        """The item leased to ``labeller`` (the same one again until it is answered or its lease expires)."""
        params = {"labeller": labeller, "attribute": attribute}
        return NextItem.model_validate(self.backend._json("GET", _path("label-sessions", session_id, "next"), params))

    def label(self, session_id: str, item: int, value: float | str, labeller: str, attribute: str | None,
              time_taken_ms: int | None, key: str) -> Label:
        """Record ``value`` for ``item`` (a later label of the same item by the same labeller replaces it)."""
        body = {"item": item, "value": value, "labeller": labeller, "attribute": attribute,
                "time_taken_ms": time_taken_ms}
        return Label.model_validate(self._write(_path("label-sessions", session_id, "labels"), body, key))

    def skip(self, session_id: str, item: int, labeller: str, key: str) -> dict[str, Any]:
        return dict(self._write(_path("label-sessions", session_id, "skip"), {"item": item, "labeller": labeller}, key))

    def flag(self, session_id: str, item: int, labeller: str, key: str, note: str | None = None) -> dict[str, Any]:
        body = {"item": item, "labeller": labeller, **({"note": note} if note else {})}
        return dict(self._write(_path("label-sessions", session_id, "flag"), body, key))

    def undo(self, session_id: str, labeller: str, key: str) -> Label:
        """Retract ``labeller``'s newest standing label (409: nothing to undo); answers the retracted label."""
        answer = self._write(_path("label-sessions", session_id, "undo"), {"labeller": labeller}, key)
        return Label.model_validate(answer["retracted"])

    # -- watching --------------------------------------------------------------------------------
    def history(self, session_id: str, n: int = 10, labeller: str | None = None) -> list[Label]:
        """The newest ``n`` rows (retractions included), newest first."""
        answer = self.backend._json("GET", _path("label-sessions", session_id, "history"),
                                    {"n": n, "labeller": labeller})
        return [Label.model_validate(x) for x in answer["labels"]]

    def curve(self, session_id: str) -> Curve:
        return Curve.model_validate(self.backend._json("GET", _path("label-sessions", session_id, "curve")))
