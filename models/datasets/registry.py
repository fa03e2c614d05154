"""Dataset registry: each dataset module decorates its loader; modules are discovered by folder."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import lru_cache

from .base import Dataset

Loader = Callable[[], Dataset]
_LOADERS: dict[str, Loader] = {}


class UnknownDatasetError(KeyError):
    """Raised for a dataset name that no module registered."""

    def __str__(self) -> str:
        return str(self.args[0])


class MissingExtraError(ImportError):
    """A dataset whose optional package is not installed; the message names the extra to install."""


def register_dataset(name: str) -> Callable[[Loader], Loader]:
    """Decorator: ``@register_dataset("bars") def load() -> Dataset``."""

    def deco(fn: Loader) -> Loader:
        if name in _LOADERS:
            raise ValueError(f"dataset {name!r} is registered twice")
        _LOADERS[name] = fn
        return fn

    return deco


@lru_cache(maxsize=1)
def _discover() -> None:
    package = importlib.import_module(__package__)
    for mod in pkgutil.iter_modules(package.__path__):
        if mod.name not in {"base", "registry"}:
            importlib.import_module(f"{__package__}.{mod.name}")


def dataset_names() -> list[str]:
    _discover()
    return sorted(_LOADERS)


@lru_cache(maxsize=8)
def get_dataset(name: str) -> Dataset:
    """The dataset called ``name`` (built once per process, then shared)."""
    _discover()
    if name not in _LOADERS:
        raise UnknownDatasetError(f"unknown dataset {name!r}; expected one of {sorted(_LOADERS)}")
    return _LOADERS[name]()
