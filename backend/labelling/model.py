"""What the label store hands out: sessions, labels, skip/flag events, leases and progress (immutable records),
the errors around them, and the UTC timestamps they carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from models import Attribute

SessionState = Literal["open", "closed"]
EventKind = Literal["skip", "flag"]
STRATEGIES: tuple[str, ...] = ("bald", "bald_batch", "max_entropy", "random")  # bald_batch: BALD + diversity
REFIT_EVERY = 50  # labels between refits: the seed's acquisition round
LEASE_S = 300.0  # how long a leased item stays with its labeller before it returns to the pool


@dataclass(frozen=True)
class SessionSet:
    """The item set a session was opened on: its id and name then, and its items (sorted, distinct): the pool."""

    set_id: str
    name: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class LabelSession:
    """One labelling session: which run (and lens) it serves, the attributes asked for (their schemas as when the
    session was made), the acquisition strategy, and the pool: the items of ``item_set`` when it was opened on one,
    else items 0..n_items-1 of ``dataset`` (labels are checked against 0..n_items-1 either way)."""

    session_id: str
    run_id: str
    lens_id: str | None
    dataset: str
    n_items: int
    attributes: tuple[Attribute, ...]
    strategy: str
    batch_size: int
    refit_every: int
    created: str  # UTC ISO 8601
    state: SessionState
    item_set: SessionSet | None = None

    def attribute(self, name: str | None) -> Attribute:
        """The schema of attribute ``name`` (None: the session's only attribute); LabellingInputError otherwise."""
        names = [a.name for a in self.attributes]
        if name is None and len(names) == 1:
            return self.attributes[0]
        if name in names:
            return self.attributes[names.index(name)]
        raise LabellingInputError("attribute", f"expected one of {names} (the session's attributes), got {name!r:.60}")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.session_id, "run_id": self.run_id, "lens_id": self.lens_id, "dataset": self.dataset,
                "n_items": self.n_items, "attributes": [a.to_json() for a in self.attributes],
                "strategy": self.strategy, "batch_size": self.batch_size, "refit_every": self.refit_every,
                "created": self.created, "state": self.state, "item_set": None if self.item_set is None else {
                    "set_id": self.item_set.set_id, "name": self.item_set.name, "n_items": len(self.item_set.items)}}


@dataclass(frozen=True)
class Label:
    """One row of ``labels``: a value given to (item, attribute), or (``value`` None) the retraction of label
    ``retracts``. ``retracted_by`` is the id of the row retracting this one, if any."""

    label_id: int
    session_id: str
    item: int
    attribute: str
    value: int | float | None  # a class index (categorical) or a number (continuous); None on a retraction
    labeller: str
    created_at: str  # UTC ISO 8601
    time_taken_ms: int | None = None
    lens_version: str | None = None
    score: float | None = None
    retracts: int | None = None
    idempotency_key: str | None = None
    retracted_by: int | None = None


@dataclass(frozen=True)
class LabelEvent:
    """A skip or a flag of ``item`` by ``labeller``."""

    event_id: int
    session_id: str
    item: int
    labeller: str
    kind: EventKind
    note: str | None
    created_at: str


@dataclass(frozen=True)
class Lease:
    """``item`` is ``labeller``'s until ``expires_at``; ``lens_version`` and ``score`` chose it."""

    session_id: str
    item: int
    labeller: str
    leased_at: str
    expires_at: str
    lens_version: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class LabellerProgress:
    """One labeller's standing labels, and labels given in the trailing hour with their rate."""

    labels: int
    labels_last_hour: int
    labels_per_hour: float


@dataclass(frozen=True)
class Progress:
    """A session's standing labels, retractions, skips and flags, and who labels how fast. ``labels_per_hour``
    is the labels given in the trailing hour over the time since the first of them (at least a minute)."""

    labels: int
    retractions: int
    skips: int
    flags: int
    labels_last_hour: int
    labels_per_hour: float
    labellers: dict[str, LabellerProgress] = field(default_factory=dict)


class LabelSessionNotFoundError(KeyError):
    """No labelling session with that id."""

    def __str__(self) -> str:
        return str(self.args[0])


class LabelSessionClosedError(RuntimeError):
    """The session is closed: it takes no more labels, skips, flags or leases."""


class IdempotencyConflictError(RuntimeError):
    """An idempotency key already used by another request (another item, value, labeller or kind of write)."""


class NothingToUndoError(RuntimeError):
    """The labeller has no standing label in the session to retract."""


class LabellingInputError(ValueError):
    """A value that does not fit: ``field`` names it, the message says what was expected."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def stamp(moment: datetime) -> str:
    """An aware datetime -> UTC ISO 8601 with microseconds (fixed width, so it sorts as text)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise LabellingInputError("now", f"expected a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> datetime:
    """The inverse of ``stamp``."""
    return datetime.fromisoformat(text)

