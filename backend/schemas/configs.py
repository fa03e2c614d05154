"""JSON schemas of the models' config dataclasses (a family's config, TrainConfig), each field described (its
``Doc``) and bounded (its ``Between`` range, the one its ``__post_init__`` checks)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from models import field_bounds, field_docs, nested_configs


def config_class_schema(cls: type) -> dict[str, Any]:
    """The config dataclass ``cls`` as a JSON schema, for the dashboard's forms and any client."""
    schema = TypeAdapter(cls).json_schema()
    describe(schema["properties"], cls, schema.get("$defs", {}))
    return schema


def describe(properties: dict[str, Any], cls: type, defs: dict[str, Any]) -> None:
    """Each field's ``Doc`` as its schema description and its range as minimum/maximum; a nested config's fields in
    its ``$defs`` entry too."""
    for name, text in field_docs(cls).items():
        properties[name]["description"] = text
    for name, bound in field_bounds(cls).items():
        for branch in properties[name].get("anyOf", [properties[name]]):  # an optional field: its non-null branch
            if branch.get("type") != "null":  # a list's range is each item's
                branch.get("items", branch).update(bound.keywords())
    for nested in nested_configs(cls).values():
        describe(defs[nested.__name__]["properties"], nested, defs)
