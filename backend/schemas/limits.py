"""Request limits that are settings (backend/config.py), stated in the OpenAPI document from the settings themselves.

A field marked ``Annotated[int, SettingLimit("max_steps")]`` carries only the setting's name (``x-setting-limit``);
``document_limits`` writes that setting's value into the served document as the bound a generated client keeps
to, and the route enforces the same value (a 422 ``LimitExceeded`` naming the setting). No number is written twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import Field

from ..config import Settings

LIMIT_KEY = "x-setting-limit"
LIST_COUNT = re.compile(r"\{0,(\d+)\}\$$")  # the repeat count that ends a comma-list pattern: ^X(,X){0,M}$


@dataclass(frozen=True)
class SettingLimit(GroupedMetadata):
    """The field is bounded by ``setting``: an integer's maximum, a list's length (maxItems), a comma-separated
    list's count (its pattern's repeat) or a string's length (maxLength), decided by the field's JSON type."""

    setting: str

    def __iter__(self) -> Iterator[object]:
        yield Field(json_schema_extra={LIMIT_KEY: self.setting})


BodyText = Annotated[str, SettingLimit("max_body_bytes")]  # a string that is most of a request body (a CSV file)


def document_limits(doc: dict[str, Any], settings: Settings) -> None:
    """Every schema in ``doc`` marked with ``x-setting-limit`` gets that setting's value as its bound, in place."""
    for schema in marked_schemas(doc):
        value = getattr(settings, schema[LIMIT_KEY])
        for branch in schema.get("anyOf", [schema]):  # an optional field: bound its non-null branch
            if branch.get("type") != "null":
                _bound(branch, value)


def marked_schemas(node: object) -> Iterator[dict[str, Any]]:
    """The schemas under ``node`` (any depth) that name a setting."""
    if isinstance(node, dict):
        if isinstance(node.get(LIMIT_KEY), str):
            yield node
        for child in node.values():
            yield from marked_schemas(child)
    elif isinstance(node, list):
        for child in node:
            yield from marked_schemas(child)


def _bound(schema: dict[str, Any], value: int) -> None:
    kind = schema.get("type")
    if kind == "integer":
        schema["maximum"] = value
    elif kind == "array":
        schema["maxItems"] = value
    elif kind == "string" and "pattern" in schema:
        schema["pattern"] = _list_pattern(schema["pattern"], value)
    elif kind == "string":
        schema["maxLength"] = value
    else:
        raise TypeError(f"a setting limit bounds an integer, a list or a string; got a schema of type {kind!r}")


def _list_pattern(pattern: str, count: int) -> str:
    """``^X(,X){0,M}$`` -> at most ``count`` items (never more than the pattern allowed already)."""
    match = LIST_COUNT.search(pattern)
    if match is None:
        raise TypeError(f"a setting limit on a string counts the items of a comma-separated list; {pattern!r} is none")
    return pattern[:match.start()] + f"{{0,{min(count - 1, int(match.group(1)))}}}$"
