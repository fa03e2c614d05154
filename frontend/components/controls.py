"""Control factories: labelled fields, the run picker, the traversal sliders, the form generated from a
config JSON schema, the latent sliders and the item gallery. The form's inverse (its values, checked) is
``forms.form_values``."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..api_client import ImageUrls, RunSummary
from ..state import SPAN, STEPS
from .forms import field_kind, show

SLIDER_RANGE = 3.0  # playground sliders: -3..3 (prior standard deviations for the usual N(0, I) prior)


def dom_id(component_id: str | Mapping[str, Any]) -> str:
    """The DOM id Dash renders for a (pattern-matching) id, for <label for=...>."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(dict(component_id), sort_keys=True, separators=(",", ":"))


def create_field(label: str, control: Any, control_id: str | Mapping[str, Any] | None = None,
                 help_text: str | None = None, feedback_id: str | dict[str, Any] | None = None) -> html.Div:
    """A label above its control (``control_id`` ties the two together for screen readers); ``feedback_id``:
    an empty message right under the control, where the form says why its value is refused."""
    parts: list[Any] = [dbc.Label(label, html_for=dom_id(control_id) if control_id else None,
                                  className="fs-label"), control]
    if feedback_id:
        parts.append(html.Div(id=feedback_id, className="invalid-feedback d-block fs-field-error"))
    if help_text:
        parts.append(dbc.FormText(help_text))
    return html.Div(parts, className="mb-3")


def create_run_picker(component_id: str, value: str | None) -> html.Div:
    """The run dropdown. Its options arrive from the backend later; until then it offers the linked run
    itself, since a Dash 4 dropdown clears a value that is not among its options."""
    options = [{"label": value, "value": value}] if value else []
    picker = dcc.Dropdown(id=component_id, value=value, options=options, clearable=False,
                          placeholder="choose a run", className="fs-run-picker")
    return create_field("Run", picker, component_id)


def create_steps_slider(component_id: str, value: int) -> dcc.Slider:
    """Values per traversed dim (STEPS: min, max)."""
    return dcc.Slider(id=component_id, min=STEPS[0], max=STEPS[1], step=1, value=value,
                      marks={s: str(s) for s in (STEPS[0], 9, STEPS[1])})


def create_span_slider(component_id: str, value: float) -> dcc.Slider:
    """Half-width of a traversal in standard deviations (SPAN: min, max)."""
    return dcc.Slider(id=component_id, min=SPAN[0], max=SPAN[1], step=0.25, value=value,
                      marks={v: f"{v:g}" for v in (0.5, 2.5, 5.0)})


def run_options(runs: Sequence[RunSummary]) -> list[dict[str, Any]]:
    """Dropdown options: ready runs to pick, training ones shown but disabled."""
    return [{"label": f"{r.run_id} — {r.family} on {r.dataset}" + ("" if r.status == "ready" else f" ({r.status})"),
             "value": r.run_id, "disabled": r.status != "ready"} for r in runs]


def pick_run(runs: Sequence[RunSummary], *wanted: str | None) -> str | None:
    """The first of ``wanted`` that is a ready run, else the newest ready run."""
    ready = [r.run_id for r in runs if r.status == "ready"]
    for run in wanted:
        if run in ready:
            return run
    return ready[0] if ready else None


# -- the config form ----------------------------------------------------------------------------------

def show_value(kind: str, value: Any) -> Any:
    """A config value as the control shows it."""
    if value is None:
        return None
    if kind in ("int_list", "float_list"):
        return show(value)
    if kind == "json":
        return json.dumps(value)
    return value


def create_schema_input(id_type: str, name: str, prop: Mapping[str, Any], value: Any) -> Any:
    component_id = {"type": id_type, "field": name}
    kind = field_kind(prop)
    if kind == "enum":
        choices = prop.get("enum") or next(p["enum"] for p in prop["anyOf"] if "enum" in p)
        return dbc.Select(id=component_id, options=[{"label": str(c), "value": c} for c in choices],
                          value=value)
    if kind == "boolean":
        return dbc.Switch(id=component_id, value=bool(value), label=prop.get("title", name))
    if kind in ("integer", "number"):  # text, not type=number: a browser gives a blank for text it cannot read
        # ("abc", "1e400", "nan"), so the form could not tell it from an empty field; forms.check_value reads it
        default = prop.get("default")
        return dbc.Input(id=component_id, type="text", value=show_value(kind, value), debounce=True,
                         inputmode="numeric" if kind == "integer" else "decimal",
                         placeholder=f"default: {default}" if default is not None else "")
    placeholder = {"int_list": "e.g. 256, 128", "float_list": "e.g. 0.5, 1", "json": "JSON"}.get(kind, "")
    # debounce: the value (and its check) follows when the user leaves the field, not at each key
    return dbc.Input(id=component_id, type="text", value=show_value(kind, value), placeholder=placeholder,
                     debounce=True)


def create_config_form(schema: Mapping[str, Any], defaults: Mapping[str, Any], id_type: str,
                       values: Mapping[str, Any] | None = None) -> list[Any]:
    """One labelled control per schema property, in schema order, showing ``values`` or the defaults, each with
    its message slot ({"type": f"{id_type}-error", "field": name})."""
    props: Mapping[str, Any] = schema.get("properties", {})
    current = {**defaults, **(values or {})}
    out = []
    for name, prop in props.items():
        value = current.get(name, prop.get("default"))
        control = create_schema_input(id_type, name, prop, value)
        label = prop.get("title") or name
        field = create_field(label, control, {"type": id_type, "field": name}, prop.get("description"),
                             {"type": f"{id_type}-error", "field": name})
        out.append(dbc.Col(field, xs=12, sm=6, lg=4))
    return out


# The training fields the form offers (the backend fills the others from its defaults).
TRAIN_SCHEMA: dict[str, Any] = {"properties": {
    "steps": {"type": "integer", "title": "Training steps", "default": 2000, "minimum": 1},
    "batch_size": {"type": "integer", "title": "Batch size", "default": 64, "minimum": 2},
    "lr": {"type": "number", "title": "Learning rate", "default": 0.001, "exclusiveMinimum": 0},
    "seed": {"type": "integer", "title": "Seed", "default": 0, "minimum": 0, "maximum": 2**32 - 1},
}}


# -- latent playground and item gallery ----------------------------------------------------------------

def slider_limit(value: float) -> float:
    """A playground slider's half-range: SLIDER_RANGE, widened to the next whole number that holds ``value``
    (a base point beyond 3 prior standard deviations is shown where it is, not clamped)."""
    return max(SLIDER_RANGE, float(math.ceil(abs(value))))


def slider_marks(limit: float) -> dict[float, str]:
    """A playground slider's scale: its ends and 0."""
    return {-limit: f"{-limit:g}", 0: "0", limit: f"{limit:g}"}


def create_latent_sliders(values: Sequence[float], labels: Sequence[str] | None = None) -> list[Any]:
    """One slider per latent dim (pattern id {"type": "z-slider", "dim": j}), decoding live while dragged, with
    its scale (ends and 0) and its value beside it ({"type": "z-value", "dim": j}, kept in step in the browser)."""
    out = []
    for j, value in enumerate(values):
        label, limit = labels[j] if labels else f"z{j}", slider_limit(value)
        slider = dcc.Slider(id={"type": "z-slider", "dim": j}, min=-limit, max=limit, step=0.05,
                            value=round(value, 2), updatemode="drag",
                            marks=slider_marks(limit),
                            tooltip={"placement": "right", "always_visible": False},
                            allow_direct_input=False, className="fs-z-slider")
        readout = html.Span(f"{value:.2f}", id={"type": "z-value", "dim": j}, className="fs-z-value")
        name = html.Label(label, htmlFor=dom_id({"type": "z-slider", "dim": j}), className="fs-z-label")
        out.append(html.Div([name, html.Div(slider, className="fs-z-track"), readout], className="fs-z-row"))
    return out


def create_gallery(images: ImageUrls, dataset: str, indices: Sequence[int], selected: int | None) -> list[Any]:
    """Thumbnails of dataset items; clicking one makes it the traversal's base."""
    return [html.Button(html.Img(src=images.item(dataset, i), alt=f"item {i}", className="fs-thumb-img"),
                        id={"type": "gallery-item", "index": i}, title=f"item {i}: traverse from here",
                        className="fs-thumb" + (" fs-thumb-selected" if i == selected else ""), n_clicks=0)
            for i in indices]
