"""The training form's values, checked before anything is sent: each control's raw value (the text as typed)
against its JSON-schema property as the API serves it (type, finiteness, minimum/maximum, item counts), and the
API's own 422s mapped back to the field they name. Pure functions; the Runs page shows the messages beside the
fields. A blank is never a silent default: it is null where the schema allows null, else an error."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..api_client import BackendError

# a decimal number as a person types it (JSON's syntax, plus a leading "+" or "."): never "nan", "inf", "1_000"
NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
WHOLE = re.compile(r"[-+]?[0-9]+")
RUN_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")  # the API's RUN_ID_PATTERN (backend/schemas/common.py)
RUN_ID_FIELD = "run_id"
BOUNDS = (("minimum", "at least"), ("exclusiveMinimum", "more than"), ("maximum", "at most"),
          ("exclusiveMaximum", "less than"))


class FieldError(ValueError):
    """A value that does not fit its field; the message says what was expected and what was given."""


# -- reading the schema ------------------------------------------------------------------------------

def plain(prop: Mapping[str, Any]) -> dict[str, Any]:
    """A property without its ``anyOf: [X, {"type": "null"}]`` wrapper: X with the property's own keys."""
    options = [p for p in prop.get("anyOf", []) if p.get("type") != "null"]
    own = {k: v for k, v in prop.items() if k != "anyOf"}
    return {**options[0], **own} if len(options) == 1 else own


def nullable(prop: Mapping[str, Any]) -> bool:
    return any(p.get("type") == "null" for p in prop.get("anyOf", []))


def field_kind(prop: Mapping[str, Any]) -> str:
    """'integer', 'number', 'boolean', 'enum', 'int_list', 'float_list', 'string' or 'json'."""
    prop = plain(prop)
    if "enum" in prop:
        return "enum"
    kind = prop.get("type")
    if kind == "array":
        item = prop.get("items", {}).get("type")
        return {"integer": "int_list", "number": "float_list"}.get(item, "json")
    return kind if kind in ("integer", "number", "boolean", "string") else "json"


# -- one value ----------------------------------------------------------------------------------------

def read_number(raw: Any, whole: bool) -> int | float:
    """Typed text (or a number) -> a finite int (``whole``) or float; FieldError saying why not."""
    what, example = ("a whole number", "64") if whole else ("a number", "0.001 or 1e-3")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise FieldError(f"expected {what} like {example}, got {raw!r}")
    text = str(raw).strip()
    if isinstance(raw, str) and not NUMBER.fullmatch(text):
        raise FieldError(f"expected {what} like {example}, got {text!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise FieldError(f"expected a finite number, got {text} (beyond what a float holds)")
    if not whole:
        return value
    if not value.is_integer():
        raise FieldError(f"expected a whole number, got {text}")
    return int(text) if WHOLE.fullmatch(text) else int(value)


def check_range(value: float, prop: Mapping[str, Any]) -> None:
    """FieldError when ``value`` is outside the property's minimum/maximum (the exclusive ones too)."""
    for key, words in BOUNDS:
        if key not in prop:
            continue
        bound = prop[key]
        inside = {"minimum": value >= bound, "exclusiveMinimum": value > bound, "maximum": value <= bound,
                  "exclusiveMaximum": value < bound}[key]
        if not inside:
            raise FieldError(f"expected {words} {bound:g}, got {value:g}")


def read_list(raw: Any, prop: Mapping[str, Any]) -> list[int | float]:
    """'256, 128' -> [256, 128]: each item a finite number of the items' type and range, their count in
    minItems..maxItems."""
    item = prop.get("items", {})
    whole = item.get("type") == "integer"
    expected = f"expected comma-separated {'whole ' if whole else ''}numbers like {'256, 128' if whole else '0.5, 1'}"
    parts = [p.strip() for p in str(raw).split(",")]
    if not all(parts):
        raise FieldError(f"{expected}, got {raw!r}")
    values = []
    for position, part in enumerate(parts, 1):
        try:
            value = read_number(part, whole)
        except FieldError:
            raise FieldError(f"{expected}; item {position} is {part!r}") from None
        try:
            check_range(value, item)
        except FieldError as err:
            raise FieldError(f"item {position}: {err}") from None
        values.append(value)
    if len(values) < prop.get("minItems", 0) or len(values) > prop.get("maxItems", math.inf):
        raise FieldError(f"expected {prop.get('minItems', 0)} to {prop.get('maxItems', 'any number of')} items, "
                         f"got {len(values)}")
    return values


def read_json(raw: Any) -> Any:
    def refuse(constant: str) -> Any:
        raise FieldError(f"expected finite numbers, got {constant}")

    try:
        return json.loads(str(raw), parse_constant=refuse)
    except json.JSONDecodeError:
        raise FieldError(f"expected JSON, got {raw!r}") from None


def check_text(text: str, prop: Mapping[str, Any]) -> str:
    if not prop.get("minLength", 0) <= len(text) <= prop.get("maxLength", math.inf):
        raise FieldError(f"expected {prop.get('minLength', 0)} to {prop.get('maxLength', 'any number of')} "
                         f"characters, got {len(text)}")
    if "pattern" in prop and not re.search(prop["pattern"], text):
        raise FieldError(f"expected text matching {prop['pattern']}, got {text!r}")
    return text


def check_value(prop: Mapping[str, Any], raw: Any) -> Any:
    """One control's raw value -> the value to send; FieldError saying what was expected."""
    kind, spec = field_kind(prop), plain(prop)
    if kind != "boolean" and (raw is None or (isinstance(raw, str) and not raw.strip())):
        if nullable(prop):
            return None
        default = spec.get("default")
        raise FieldError("expected a value" + (f" (the default is {show(default)})" if default is not None else ""))
    if kind in ("integer", "number"):
        value = read_number(raw, kind == "integer")
        check_range(value, spec)
        return value
    if kind in ("int_list", "float_list"):
        return read_list(raw, spec)
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise FieldError(f"expected on or off, got {raw!r}")
        return raw
    if kind == "enum":
        if raw not in spec["enum"]:
            raise FieldError(f"expected one of {', '.join(map(str, spec['enum']))}, got {raw!r}")
        return raw
    return read_json(raw) if kind == "json" else check_text(str(raw), spec)


def refusal(prop: Mapping[str, Any], raw: Any) -> str | None:
    """Why ``raw`` does not fit ``prop``, or None when it does (a field checked as the user leaves it)."""
    try:
        check_value(prop, raw)
    except FieldError as err:
        return str(err)
    return None


def show(value: Any) -> str:
    """A default as the form shows it: lists comma-separated."""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


# -- the form -----------------------------------------------------------------------------------------

def form_values(schema: Mapping[str, Any], ids: Sequence[Mapping[str, Any]], raw: Sequence[Any]
                ) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's controls (pattern-matching ids + raw values) -> (values to send, {field: why it is wrong}).
    Every field is sent, so the run is exactly the form as shown."""
    props: Mapping[str, Any] = schema.get("properties", {})
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for component_id, value in zip(ids, raw, strict=True):
        name = component_id["field"]
        try:
            values[name] = check_value(props.get(name, {}), value)
        except FieldError as err:
            errors[name] = str(err)
    return values, errors


def check_run_id(raw: str | None) -> tuple[str | None, str | None]:
    """(the run id to send, None to let the backend name it; why the typed one is refused, or None)."""
    text = (raw or "").strip()
    if not text or RUN_ID.fullmatch(text):
        return text or None, None
    return None, ("expected 1 to 100 lowercase letters, digits, '-' or '_', not starting with '-' or '_'; "
                  f"got {text[:60]!r}")


# -- the API's answer ---------------------------------------------------------------------------------

def problem_fields(err: BackendError, fields: Mapping[str, Sequence[str]]) -> dict[tuple[str, str], str]:
    """The form fields an API problem is about, as {(section, field): message}. ``fields``: each section's
    field names ({"config": [...], "train": [...]}); a run id in use (409) is the section and field "run_id".
    A 422 names its section in the error's loc (["body", "config"], ["body", "config", "beta"]) or its detail
    ("train.steps is 9000, over the limit ..."), and the field in its loc or its message ("VAEConfig.beta: ...")."""
    if err.status == 409 and err.is_a("run-exists"):
        return {(RUN_ID_FIELD, RUN_ID_FIELD): err.detail}
    if err.status != 422:
        return {}
    sections = {**fields, RUN_ID_FIELD: [RUN_ID_FIELD]}
    found: dict[tuple[str, str], str] = {}
    for loc, message in error_texts(err):
        section = next((s for s in sections if s in loc[1:2] or message.startswith(f"{s}.")), None)
        if section is None:
            continue
        names = sections[section]
        field = names[0] if section == RUN_ID_FIELD else next((n for n in names if n in loc[2:3]), None) \
            or named_field(message, names)
        if field is not None:
            found.setdefault((section, field), message)
    return found


def named_field(message: str, names: Sequence[str]) -> str | None:
    """The field of ``names`` the message names first: a dotted path's part (".beta") before a plain word."""
    for pattern in (r"\.{}\b", r"(?<![\w.]){}\b"):
        hits = [(m.start(), n) for n in names if (m := re.search(pattern.format(re.escape(n)), message))]
        if hits:
            return min(hits)[1]
    return None


def error_texts(err: BackendError) -> list[tuple[list[str], str]]:
    """(loc, message) for each of a problem's errors; (no loc, its detail) when it lists none."""
    texts = [([str(p) for p in e.get("loc", [])], str(e.get("msg", ""))) for e in err.errors if isinstance(e, dict)]
    return texts or [([], err.detail)]
