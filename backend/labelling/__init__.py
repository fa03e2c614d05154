"""Labelling: sessions on a run, append-only labels (an undo is a row that retracts), skips and flags, and leases
that hand each labeller a different item, stored in the jobs database by ``LabelStore``."""

from .model import (
    LEASE_S,
    REFIT_EVERY,
    STRATEGIES,
    IdempotencyConflictError,
    Label,
    LabelEvent,
    LabellerProgress,
    LabellingInputError,
    LabelSession,
    LabelSessionClosedError,
    LabelSessionNotFoundError,
    Lease,
    NothingToUndoError,
    Progress,
    SessionSet,
)
from .store import LabelStore

__all__ = [
    "LEASE_S",
    "REFIT_EVERY",
    "STRATEGIES",
    "IdempotencyConflictError",
    "Label",
    "LabelEvent",
    "LabelSession",
    "LabelSessionClosedError",
    "LabelSessionNotFoundError",
    "LabelStore",
    "LabellerProgress",
    "LabellingInputError",
    "Lease",
    "NothingToUndoError",
    "Progress",
    "SessionSet",
]
