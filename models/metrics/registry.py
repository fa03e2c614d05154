"""METRICS: name -> metric function, filled by the @register_metric decorator at each definition."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .result import MetricResult

MetricFn = Callable[..., MetricResult]
F = TypeVar("F", bound=MetricFn)

METRICS: dict[str, MetricFn] = {}


def register_metric(name: str) -> Callable[[F], F]:
    """Add the decorated function to METRICS under `name`; a second use of a name is a ValueError."""

    def decorate(fn: F) -> F:
        if name in METRICS:
            raise ValueError(f"metric {name!r} is already registered (by {METRICS[name].__qualname__})")
        METRICS[name] = fn
        return fn

    return decorate
