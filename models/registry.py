"""The family registry: a family registers where it is defined; families are discovered by folder.

Adding a family = adding ``models/families/<name>/`` whose ``__init__`` imports a class decorated
with ``@register_family``. Nothing else lists families.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

from .base import DataSpec, LatentModel
from .config import config_from_dict, config_to_dict


@dataclass(frozen=True)
class FamilySpec:
    """A registered family: its name, model class, typed config class and a one-line summary."""

    name: str
    model_cls: type[LatentModel]
    config_cls: type[Any]
    summary: str

    def config(self, data: dict[str, Any] | None = None) -> Any:
        """Typed config from a (partial) dict; defaults fill the rest."""
        return config_from_dict(self.config_cls, data or {})

    def defaults(self) -> dict[str, Any]:
        return config_to_dict(self.config_cls())

    def build(self, config: Any, data: DataSpec, seed: int = 0) -> LatentModel:
        """A fresh module whose initial weights depend only on (config, data, seed)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.model_cls(config, data)


class UnknownFamilyError(KeyError):
    """A family name nobody registered."""

    def __str__(self) -> str:
        return str(self.args[0])


_FAMILIES: dict[str, FamilySpec] = {}


def register_family(name: str, config: type[Any], summary: str) -> Callable[[type[LatentModel]], type]:
    """Class decorator: ``@register_family("vae", config=VAEConfig, summary="...")``."""
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"family {name!r}: config must be a dataclass, got {config!r}")

    def deco(cls: type[LatentModel]) -> type[LatentModel]:
        if name in _FAMILIES:
            raise ValueError(f"family {name!r} is registered twice")
        cls.family = name
        _FAMILIES[name] = FamilySpec(name, cls, config, summary)
        return cls

    return deco


@lru_cache(maxsize=1)
def discover() -> None:
    """Import every sub-package of ``models.families`` so that their decorators run."""
    package = importlib.import_module("models.families")
    for mod in pkgutil.iter_modules(package.__path__):
        if mod.ispkg:
            importlib.import_module(f"models.families.{mod.name}")


def families() -> dict[str, FamilySpec]:
    """Every registered family by name (sorted)."""
    discover()
    return dict(sorted(_FAMILIES.items()))


def get_family(name: str) -> FamilySpec:
    discover()
    if name not in _FAMILIES:
        raise UnknownFamilyError(f"unknown family {name!r}; expected one of {sorted(_FAMILIES)}")
    return _FAMILIES[name]
