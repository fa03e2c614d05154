"""Typed configs: frozen dataclasses <-> plain JSON dicts, with errors that say what was expected.

Only the standard library, so configs round-trip through config.json without pickle or pydantic.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any, TypeVar

C = TypeVar("C")
M = TypeVar("M")
MAX_WEIGHT = 1e4  # largest weight of a loss term (beta, lam, ...): more only drowns the likelihood
MAX_LR = 10.0  # largest step size (lr, w_lr): larger steps send any of our models to inf within a few steps
MAX_WIDTH = 65_536  # widest layer (hidden widths, conv channels): wider ones exceed any parameter budget of the API


class ConfigError(ValueError):
    """A config dict that does not fit its dataclass."""


@dataclasses.dataclass(frozen=True)
class Doc:
    """What a config field means, for people choosing its value: ``lam: Annotated[float, Doc("...")] = 1.0``."""

    text: str


@dataclasses.dataclass(frozen=True)
class Between:
    """A numeric field's range: ``lr: Annotated[float, Doc("..."), Between(0, MAX_LR, above=True)]`` is
    ``0 < lr <= MAX_LR``; on a tuple field, each item's range; ``high=None``: no upper bound. ``check_bounds`` (from
    ``__post_init__``) enforces it and ``field_bounds`` publishes it (the API's config schemas), so both read this."""

    low: float
    high: float | None = None
    above: bool = False  # low itself excluded

    def keywords(self) -> dict[str, float]:
        """The range as JSON-schema keywords: minimum (or exclusiveMinimum) and maximum."""
        low = {"exclusiveMinimum" if self.above else "minimum": self.low}
        return low if self.high is None else {**low, "maximum": self.high}


WEIGHT = Between(0, MAX_WEIGHT)  # a loss term's weight (beta, lam, ...)
STEP_SIZE = Between(0, MAX_LR, above=True)  # lr, w_lr
WIDTHS = Between(1, MAX_WIDTH)  # each width of a tuple of layer widths


def field_docs(cls: type) -> dict[str, str]:
    """Each field of the config dataclass ``cls`` (and its bases) -> its ``Doc`` text, where it has one."""
    return {name: doc.text for name, doc in _field_metadata(cls, Doc).items()}


def field_bounds(cls: type) -> dict[str, Between]:
    """Each field of the config dataclass ``cls`` (and its bases) -> its ``Between`` range, where it has one."""
    return dict(_field_metadata(cls, Between))


def check_bounds(config: Any) -> None:
    """Every ``Between`` range of ``config``'s fields (each item of a tuple; a null optional value passes), else a
    FieldValueError naming the field (``__post_init__`` calls this)."""
    for name, bound in field_bounds(type(config)).items():
        value = getattr(config, name)
        for item in value if isinstance(value, tuple) else (value,):
            if item is not None:
                require_between(name, item, bound.low, math.inf if bound.high is None else bound.high,
                                above=bound.above)


@functools.lru_cache(maxsize=256)
def _field_metadata(cls: type, kind: type[M]) -> dict[str, M]:
    """Each field of ``cls`` -> its ``Annotated`` metadata object of type ``kind`` (the most derived class's hint)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {name: meta for name, hint in hints.items() for meta in getattr(hint, "__metadata__", ())
            if isinstance(meta, kind)}


def nested_configs(cls: type) -> dict[str, type]:
    """Each field of the config dataclass ``cls`` whose type is itself a config dataclass (a prior's own config
    inside a family's) -> that dataclass."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if _is_config(hints[f.name])}


def config_to_dict(config: Any) -> dict[str, Any]:
    """A dataclass instance -> JSON-ready dict (tuples become lists, nested configs dicts)."""
    return {f.name: _plain(getattr(config, f.name)) for f in dataclasses.fields(config)}


def config_from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Build ``cls`` from ``data``; unknown keys, wrong types and bad values raise ConfigError naming the field's
    path (``VAEConfig.prior.scale: ...`` for a nested config)."""
    return _build(cls.__name__, cls, data)


def _build(where: str, cls: type[C], data: Any) -> C:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object of fields, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; expected some of {names}")
    values = {k: _coerce(f"{where}.{k}", hints[k], v) for k, v in data.items()}
    try:
        return cls(**values)
    except FieldValueError as err:
        raise ConfigError(f"{where}.{err.field}: {err}") from err
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {err}") from err


def _is_config(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return config_to_dict(value)
    return value


def _coerce(where: str, hint: Any, value: Any) -> Any:
    if _is_config(hint):
        return _build(where, hint, value)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: expected one of {list(args)}, got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            try:
                return _coerce(where, arg, value)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {hint}, got {value!r}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item = args[0] if args else Any
        return tuple(_coerce(f"{where}[]", item, v) for v in value)
    return _scalar(where, hint, value)


def _scalar(where: str, hint: Any, value: Any) -> Any:
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected null, got {value!r}")
        return None
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if hint is str and not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


class FieldValueError(ValueError):
    """A ``__post_init__`` check that names its field; ConfigError then says the field's full path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def require(condition: bool, message: str, field: str | None = None) -> None:
    """Value check for ``__post_init__``: raise ValueError(message) unless ``condition``; with ``field``, the
    ConfigError names its path (``prior.scale: expected a number > 0, got -1``)."""
    if not condition:
        raise ValueError(message) if field is None else FieldValueError(field, message)


def require_between(field: str, value: float, low: float, high: float = math.inf, *, above: bool = False) -> None:
    """``low <= value <= high`` (``low < value`` with ``above``), else a FieldValueError naming ``field`` and its range
    (``lr must be > 0 and <= 10, got 1e+30``; ``latent_dim must be in 1..512, got 0`` for whole bounds); NaN and
    infinities never pass."""
    inside = math.isfinite(value) and (value > low if above else value >= low) and value <= high
    require(inside, f"{field} must be {_range(low, high, above)}, got {value!r}", field)


def _range(low: float, high: float, above: bool) -> str:
    if isinstance(low, int) and isinstance(high, int) and not above:
        return f"in {low}..{high}"
    upper = f" and <= {_number(high)}" if math.isfinite(high) else ""
    return f"{'>' if above else '>='} {_number(low)}{upper}"


def _number(bound: float) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)
