"""What a run is as listed: ``RunRecord``, read from a run's config.json (``record_of``), and the parent a run
is built on (``parent_of``: the family config's ``ParentRef`` field, found by its type)."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from models import ParentRef, UnknownFamilyError, get_family

VERSION_LEN = 12  # a run's version: the first 12 hex digits of its weights' sha256


@dataclass(frozen=True)
class RunRecord:
    """A run as listed: identity, what it is, whether it has finished weights, and the run it is built on."""

    run_id: str
    family: str
    dataset: str
    created: str
    version: str | None  # None while training
    config: dict[str, Any]
    train: dict[str, Any]
    parent: ParentRef | None = None  # the run (and version) this one is built on; None: a run of its own

    @property
    def finished(self) -> bool:
        return self.version is not None


def record_of(header: dict[str, Any]) -> RunRecord:
    """The record of a run's config.json dict (KeyError when it lacks a field)."""
    sha = header.get("weights_sha256")
    return RunRecord(header["run_id"], header["family"], header["dataset"], header["created"],
                     sha[:VERSION_LEN] if sha else None, header["config"], header["train"],
                     parent_of(header["family"], header["config"]))


def parent_field(config_cls: type) -> str | None:
    """The field of a family's config dataclass typed ``ParentRef`` (or ``ParentRef | None``); None: the family
    is not built on another run. TypeError for more than one: a model has one parent."""
    hints = typing.get_type_hints(config_cls)
    names = [f.name for f in dataclasses.fields(config_cls)
             if ParentRef in (hints[f.name], *typing.get_args(hints[f.name]))]
    if len(names) > 1:
        raise TypeError(f"{config_cls.__name__} has {len(names)} ParentRef fields {names}; expected at most one")
    return names[0] if names else None


def parent_of(family: str, config: dict[str, Any]) -> ParentRef | None:
    """The parent pinned in a run's config (``{"run_id", "version"}`` under the family's ParentRef field); None for
    a family without one, a config that leaves it null, or a family this process does not know."""
    try:
        name = parent_field(get_family(family).config_cls)
    except UnknownFamilyError:
        return None
    ref = config.get(name) if name and isinstance(config, dict) else None
    return ParentRef(str(ref["run_id"]), str(ref["version"])) if isinstance(ref, dict) else None
