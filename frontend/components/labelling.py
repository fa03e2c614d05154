"""The Labelling page's view pieces, pure: the answer buttons, the model's guess, why the item was asked, who is
labelling, the session's progress, the last labels (editable) and the learning curve."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from ..api_client import ImageUrls
from ..labelling_client import Attribute, Curve, Label, LabelSession, NextItem, Progress
from ..state import PageState, Query, as_run, first
from .figures import base_layout, empty_figure
from .tables import scroll_region

SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # a session id, as a link may carry it
SET_RE = re.compile(r"^[0-9a-f]{1,64}$")  # an item set id

KEYED_CLASSES = 9  # keys 1-9 answer the first nine classes
KEYS: tuple[tuple[str, str], ...] = (
    ("1 – 9", "answer with that class (categorical attributes)"),
    ("← →", "move the slider (continuous attributes; Shift: ten times further)"),
    ("Enter", "submit the slider's value"),
    ("Space", "skip this item"),
    ("F", "flag this item (unclear or broken)"),
    ("Backspace", "undo your last label"),
    ("?", "show or hide this list"),
)


@dataclass(frozen=True)
class LabelState(PageState):
    """The Labelling page's link: the session it opens (``/label?session=ID``), or, while none is open, the run and
    item set the new-session form starts with (``/label?run=RUN&item_set=SET``: the Embedding page's link after
    "Save for labelling")."""

    PATH: ClassVar[str] = "/label"

    session: str | None = None
    run: str | None = None
    item_set: str | None = None

    @classmethod
    def from_query(cls, query: Query) -> LabelState:
        text, item_set = first(query, "session"), first(query, "item_set")
        return cls(session=text if text and SESSION_RE.fullmatch(text) else None, run=as_run(first(query, "run")),
                   item_set=item_set if item_set and SET_RE.fullmatch(item_set) else None)


def create_key_help() -> dbc.Table:
    """The keyboard shortcuts, one row each."""
    rows = [html.Tr([html.Td(html.Kbd(key)), html.Td(what)]) for key, what in KEYS]
    return dbc.Table(html.Tbody(rows), size="sm", className="fs-label-keys mb-0")


def create_class_buttons(attribute: Attribute) -> list[Any]:
    """One button per class ({"type": "label-class", "index": k}), the first nine with their key."""
    out = []
    for k, name in enumerate(attribute.classes or []):
        key = [html.Kbd(str(k + 1), className="me-1")] if k < KEYED_CLASSES else []
        out.append(dbc.Button([*key, name], id={"type": "label-class", "index": k}, color="primary", outline=True,
                              className="fs-label-class", n_clicks=0, title=f"label this item {name!r}"))
    return out


def slider_settings(attribute: Attribute, prediction: Mapping[str, Any] | None) -> dict[str, Any]:
    """The continuous answer slider's min, max, step, marks and start value (the model's mean, inside the range)."""
    low = attribute.low if attribute.low is not None else 0.0
    high = attribute.high if attribute.high is not None else 1.0
    mean = (prediction or {}).get("mean")
    start = min(max(float(mean), low), high) if isinstance(mean, int | float) else (low + high) / 2
    step = (high - low) / 100 or 0.01
    return {"min": low, "max": high, "step": step, "value": round(low + round((start - low) / step) * step, 10),
            "marks": {low: f"{low:g}", high: f"{high:g}"}}


def percent(p: float) -> str:
    return f"{100 * p:.0f}%"


def create_guess(prediction: Mapping[str, Any] | None, attribute: Attribute | None) -> Any:
    """The model's current guess: the three likeliest classes with bars and the entropy, or mean ± sd."""
    if not prediction:
        return html.P("The model has no guess for this item yet (no fitted lens version).", className="text-muted")
    if prediction.get("kind") == "continuous":
        unit = f" {attribute.unit}" if attribute and attribute.unit else ""
        return html.P([html.Strong(f"{prediction['mean']:.3g}{unit}"), f" ± {prediction['sd']:.2g} (1 sd)"],
                      className="mb-0 fs-label-guess-line")
    ranked = sorted(zip(prediction.get("classes", []), prediction.get("probs", []), strict=False),
                    key=lambda cp: -cp[1])[:3]
    bars = [html.Div([html.Span(name, className="fs-label-guess-name"),
                      dbc.Progress(value=100 * p, label=percent(p), className="flex-grow-1")],
                     className="d-flex align-items-center gap-2 mb-1") for name, p in ranked]
    entropy = prediction.get("entropy")
    note = html.Small(f"uncertainty (entropy): {entropy:.2f} nats" if isinstance(entropy, int | float) else "",
                      className="text-muted")
    return html.Div([*bars, note])


def reason_text(nxt: NextItem) -> str:
    """'rank 1 of 1,203 unlabelled items · score 0.42 nats · lens version ab12': the numbers behind the reason."""
    parts = []
    if nxt.rank is not None and nxt.pool is not None:
        parts.append(f"rank {nxt.rank:,} of {nxt.pool:,} unlabelled items")
    if nxt.score is not None:
        parts.append(f"score {nxt.score:.3f} nats")
    if nxt.lens_version:
        parts.append(f"lens version {nxt.lens_version}")
    return " · ".join(parts)


def create_reason(nxt: NextItem) -> html.Div:
    return html.Div([html.P(nxt.reason or "No reason was given.", className="mb-1"),
                     html.Small(reason_text(nxt), className="text-muted")])


def rate(value: float) -> str:
    return f"{value:.0f}/h" if value >= 10 else f"{value:.1f}/h"


def create_labellers(progress: Progress, me: str | None) -> Any:
    """Who is labelling this session: labels and labels per hour each, busiest first; you in bold."""
    if not progress.labellers:
        return html.P("Nobody has labelled in this session yet.", className="text-muted mb-0")
    head = html.Thead(html.Tr([html.Th("Labeller"), html.Th("Labels"), html.Th("Last hour"), html.Th("Rate")]))
    rows = [html.Tr([html.Td(name + (" (you)" if name == me else "")), html.Td(r.labels), html.Td(r.labels_last_hour),
                     html.Td(rate(r.labels_per_hour))], className="fw-semibold" if name == me else "")
            for name, r in sorted(progress.labellers.items(), key=lambda nr: -nr[1].labels)]
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="fs-metrics mb-0", id="label-labellers-table")


def refit_text(session: LabelSession) -> str:
    """What the background refit is doing and when the next one starts."""
    refit = session.refit
    if refit.state == "failed":
        return "the last refit failed; labelling goes on with the current lens version"
    if refit.state in ("queued", "running"):
        return f"refitting the lens ({refit.state}) on {refit.labels_at_last_refit:,}+ labels"
    return f"next refit at {refit.next_refit_at:,} labels"


def create_progress(session: LabelSession) -> dbc.Table:
    """The session's counts, rate, lens version and refit state."""
    p = session.progress
    rows = [("Labels", f"{p.labels:,} ({rate(p.labels_per_hour)}, {p.labels_last_hour:,} in the last hour)"),
            ("Skipped · flagged · undone", f"{p.skips:,} · {p.flags:,} · {p.retractions:,}"),
            ("Lens version", session.lens_version or "none yet"),
            ("Refit", refit_text(session))]
    return dbc.Table(html.Tbody([html.Tr([html.Th(k, className="fw-normal"), html.Td(v)]) for k, v in rows]),
                     size="sm", className="fs-summary mb-0", id="label-progress-table")


def shown_value(label: Label, attribute: Attribute | None) -> str:
    """A label's value as a person reads it: the class name, or the number with its unit."""
    if label.value_name:
        return label.value_name
    if attribute and attribute.classes and isinstance(label.value, int) and 0 <= label.value < len(attribute.classes):
        return attribute.classes[label.value]
    unit = f" {attribute.unit}" if attribute and attribute.unit else ""
    return f"{label.value:g}{unit}" if isinstance(label.value, int | float) else "—"


def edit_control(label: Label, attribute: Attribute) -> Any:
    """The control that changes one of your standing labels ({"type": "label-edit", "index": item,
    "attribute": name}): the classes, or a number in the attribute's range."""
    component_id = {"type": "label-edit", "index": label.item, "attribute": attribute.name}
    if attribute.kind == "categorical":
        options = [{"label": name, "value": k} for k, name in enumerate(attribute.classes or [])]
        return dcc.Dropdown(id=component_id, options=options, value=label.value, clearable=False,
                            className="fs-label-edit")
    return dbc.Input(id=component_id, type="number", value=label.value, min=attribute.low, max=attribute.high,
                     debounce=True, size="sm", className="fs-label-edit")


def history_value(label: Label, attribute: Attribute | None, me: str | None) -> Any:
    """Your standing labels are editable; an undo, an undone label or another person's label is read only."""
    if label.retracts is not None:
        return html.Span("undo", className="text-muted fst-italic")
    if label.retracted_by is not None:
        return html.Del(shown_value(label, attribute), className="text-muted")
    if attribute is None or label.labeller != me:
        return shown_value(label, attribute)
    return edit_control(label, attribute)


def create_history(labels: Sequence[Label], session: LabelSession, images: ImageUrls | None, me: str | None) -> Any:
    """The newest labels, newest first: the item's thumbnail, attribute, value (yours editable), who, when."""
    if not labels:
        return html.P("No labels yet: answer the item above to start.", className="text-muted mb-0")
    head = html.Thead(html.Tr([html.Th("Item"), html.Th("Attribute"), html.Th("Value"), html.Th("By"),
                               html.Th("When")]))
    rows = []
    for label in labels:
        thumb = (html.Img(src=images.item(session.dataset, label.item), alt=f"item {label.item}",
                          className="fs-label-thumb") if images else None)
        rows.append(html.Tr([html.Td([thumb, html.Span(f" {label.item}")], className="text-nowrap"),
                             html.Td(label.attribute),
                             html.Td(history_value(label, session.attribute(label.attribute), me)),
                             html.Td(label.labeller), html.Td(label.created_at[11:19], className="small")]))
    return scroll_region(dbc.Table([head, html.Tbody(rows)], size="sm", className="fs-metrics mb-0 fs-label-history",
                                   id="label-history-table"), "labels given")


def curve_figure(curve: Curve) -> go.Figure:
    """Interpretability on the fixed held-out items (and accuracy) against the labels the lens was fitted on."""
    if not curve.points:
        return empty_figure("the curve starts when the lens is fitted on this session's labels", height=260)
    x = [p.labels for p in curve.points]
    fig = go.Figure([go.Scatter(x=x, y=[p.score for p in curve.points], mode="lines+markers",
                                name="score (geometric-mean p of the true class)")])  # None: a gap
    accuracy = [p.accuracy for p in curve.points]
    if any(a is not None for a in accuracy):
        fig.add_trace(go.Scatter(x=x, y=accuracy, mode="lines+markers", name="accuracy", line={"dash": "dot"}))
    pad = max(1.0, 0.05 * max(x))  # a first point at 0 labels stays off the axis line
    fig.update_xaxes(title_text="labels", range=[-pad, max(x) + pad])
    fig.update_yaxes(title_text=f"on {curve.held_out:,} held-out items", range=[0, 1.02])
    base_layout(fig, f"Interpretability of {curve.attribute} per label", height=300)
    return fig.update_layout(legend={"orientation": "h", "y": -0.4}, margin={"b": 90})
