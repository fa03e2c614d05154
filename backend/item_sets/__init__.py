"""Item sets: named sets of a run's dataset items (an embedding's lasso selection), kept in the jobs database."""

from .store import ItemSet, ItemSetNotFoundError, ItemSetStore

__all__ = ["ItemSet", "ItemSetNotFoundError", "ItemSetStore"]
