"""The Lens page's pure pieces: the lens picker's options, the form that makes a lens (its values checked, and the
API's refusals mapped back to its fields), the manipulation grid's query and caption, the score table, the z*
scatter and the banner for a link to a lens version that has moved. Plain data in, components out."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from ..api_client import BackendError, Embedding, LensEmbedding, LensScore, LensSummary
from ..state import LensState
from .feedback import create_version_banner
from .figures import embedding_figure
from .forms import FieldError, check_run_id, check_value, error_texts
from .tables import scroll_region

NEW_LENS = "+new"  # the lens picker's value for "make a new lens" (no run id: they start with [a-z0-9])
NO_ROWS = "(none)"  # the rows picker's value for one row (no attribute name: names have no brackets)
SCATTER_N = 500  # items whose z* the scatter shows (fewer when the dataset has fewer)
VARIANTS = [{"label": "ILVM: each attribute read from all of z*", "value": "ilvm"},
            {"label": "FILVM: attribute j from z*_j alone", "value": "filvm"}]
SOURCES = [{"label": "ground truth of n items (simulated oracle)", "value": "oracle"},
           {"label": "upload a CSV (item,attribute,value)", "value": "csv"}]
# the form's number fields, checked as the training form checks its own (forms.check_value)
FORM_SCHEMA: dict[str, Any] = {"properties": {
    "n": {"type": "integer", "title": "Labelled items (n)", "default": 200, "minimum": 1},
    "seed": {"type": "integer", "title": "Seed", "default": 0, "minimum": 0, "maximum": 2**32 - 1},
    "steps": {"type": "integer", "title": "Training steps", "default": 500, "minimum": 1},
}}
FIELDS = ("attributes", "n", "seed", "csv", "steps", "lens_id")  # the fields a message can stand beside


# -- choosing a lens -----------------------------------------------------------------------------------------

def lens_label(lens: LensSummary) -> str:
    status = "" if lens.status == "ready" else f" ({lens.status})"
    return f"{lens.lens_id} — {lens.variant.upper()}, k={lens.k}: {', '.join(lens.attributes)}{status}"


def lens_options(lenses: Sequence[LensSummary]) -> list[dict[str, Any]]:
    """The lens picker: "new lens" first, then the run's lenses (newest first)."""
    return [{"label": "+ new lens", "value": NEW_LENS}] + [{"label": lens_label(x), "value": x.lens_id}
                                                          for x in lenses]


def chosen_lens(lenses: Sequence[LensSummary], asked: str | None, current: str | None) -> str:
    """The lens to show: the one asked for (a link's, or one just made) when the run has it, else the one shown
    when it is still there, else the newest ready one, else the form for a new one."""
    ids = [x.lens_id for x in lenses]
    for wanted in (asked, current):
        if wanted and wanted in ids:
            return wanted
    return next((x.lens_id for x in lenses if x.status == "ready"), NEW_LENS)


# -- the form that makes a lens ------------------------------------------------------------------------------

def read_upload(contents: str | None) -> str:
    """dcc.Upload's ``data:...;base64,...`` as text; FieldError when there is none or it is no UTF-8 text."""
    if not contents:
        raise FieldError("expected a CSV file: choose one, or pick the oracle as the label source")
    try:
        text = base64.b64decode(contents.partition(",")[2], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FieldError("expected a UTF-8 text file with the header item,attribute,value") from None
    if not text.strip():
        raise FieldError("the file is empty; expected the header item,attribute,value and one label a row")
    return text


def lens_body(form: Mapping[str, Any], n_items: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values -> (POST .../lenses body, {field: why it is refused}); nothing is sent unless the second
    is empty. ``form``: attributes, variant, source, n, seed, upload (dcc.Upload contents), steps, lens_id;
    ``n_items``: the base dataset's size (the most items the oracle can label)."""
    errors: dict[str, str] = {}
    numbers: dict[str, Any] = {}
    props = {**FORM_SCHEMA["properties"], "n": {**FORM_SCHEMA["properties"]["n"], "maximum": n_items}}
    for name in ("n", "seed", "steps") if form.get("source") == "oracle" else ("steps",):
        try:
            numbers[name] = check_value(props[name], form.get(name))
        except FieldError as err:
            errors[name] = str(err)
    attributes = list(form.get("attributes") or [])
    if not attributes:
        errors["attributes"] = "expected at least one attribute: tick those the lens should read"
    labels: dict[str, Any] = {}
    if form.get("source") == "oracle":
        labels = {"oracle": {"n": numbers.get("n"), "seed": numbers.get("seed")}}
    else:
        try:
            labels = {"csv": read_upload(form.get("upload"))}
        except FieldError as err:
            errors["csv"] = str(err)
    lens_id, id_error = check_run_id(form.get("lens_id"))
    if id_error:
        errors["lens_id"] = id_error
    body = {"variant": form.get("variant") or "ilvm", "attributes": attributes, "labels": labels,
            "fit": {"steps": numbers.get("steps")}, **({"lens_id": lens_id} if lens_id else {})}
    return body, errors


def problem_field(loc: Sequence[str], message: str) -> str | None:
    """The form field an API error is about, from its loc (["body", "labels", "oracle", "n"]) or, without one,
    its message ("body.fit.steps: ...")."""
    parts = list(loc) or message.partition(":")[0].split(".")
    if parts[:1] != ["body"]:
        return None
    named = [p for p in parts[1:] if p in FIELDS or p in ("fit", "labels", "oracle", "rows")]
    if "csv" in named or "rows" in named:
        return "csv"
    if "oracle" in named:
        return next((p for p in named if p in ("n", "seed")), "n")
    return next((p for p in named if p in FIELDS), None)


def lens_problem_fields(err: BackendError) -> dict[str, str]:
    """{field: message} for an API refusal of a new lens: a 422 naming a body field, or a lens id in use (409)."""
    if err.status == 409 and err.is_a("run-exists"):
        return {"lens_id": err.detail}
    if err.status != 422:
        return {}
    found: dict[str, str] = {}
    for loc, message in error_texts(err):
        field = problem_field(loc, message if loc else err.detail)
        if field is not None:
            found.setdefault(field, message)
    return found


def form_problem(errors: Mapping[str, str]) -> str:
    names = ", ".join(errors)
    return f"Nothing was sent: fix the {'field' if len(errors) == 1 else f'{len(errors)} fields'} marked in red " \
           f"({names})."


# -- the views of a lens -------------------------------------------------------------------------------------

def grid_params(state: LensState) -> dict[str, Any]:
    """The manipulation.png query of this view (pinned to the lens version ``lv``)."""
    return {"base": f"item:{state.item}", "a": state.a, "b": state.b, "steps": state.steps, "span": state.span,
            "v": state.lv}


def grid_caption(state: LensState) -> str:
    rows = f"Rows: {state.b}, the same values down." if state.b else "One row (no attribute down the rows)."
    return (f"Columns: {state.a}, {state.steps} values of its z* coordinate from −{state.span:g} to +{state.span:g} "
            f"(prior sd of z*) around dataset item {state.item}, decoded through the base run's decoder. {rows} "
            "The centre is the item as the lens sees it.")


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def score_rows(score: LensScore) -> list[dict[str, str]]:
    """Per attribute: the lens's z* and the base run's own dims side by side (score, accuracy, the dim read)."""
    rows = []
    for name, row in score.attributes.items():
        rows.append({"attribute": name + (" (binned)" if row.binned else ""),
                     "lens": percent(row.lens.value), "lens_accuracy": percent(row.lens.accuracy),
                     "lens_dim": f"z*{row.lens.dim}", "base": percent(row.base.value),
                     "base_accuracy": percent(row.base.accuracy), "base_dim": f"z{row.base.dim}",
                     "gain": f"{100 * (row.lens.value - row.base.value):+.1f} pts",
                     "items": f"{row.n_train:,} / {row.n_test:,}"})
    return rows


SCORE_COLUMNS = (("attribute", "attribute"), ("lens", "lens z* score"), ("lens_accuracy", "accuracy"),
                 ("lens_dim", "dim"), ("base", "base z score"), ("base_accuracy", "accuracy"), ("base_dim", "dim"),
                 ("gain", "lens − base"), ("items", "train / test items"))


def create_score_table(score: LensScore) -> html.Div:
    """The score table with what its numbers are: the geometric-mean held-out probability of the true class, read
    from the single most informative dim, for the lens and for the base run's latent."""
    head = html.Thead(html.Tr([html.Th(title) for _, title in SCORE_COLUMNS]))
    body = html.Tbody([html.Tr([html.Td(row[key]) for key, _ in SCORE_COLUMNS]) for row in score_rows(score)])
    note = (f"Score: the geometric-mean probability of the true class on held-out items ({score.truth}), from a "
            f"linear SVM on the one most informative dim. Continuous attributes: {score.binning}.")
    return html.Div([scroll_region(dbc.Table([head, body], size="sm", striped=True, className="fs-lens-score mb-1",
                                             id="lens-score-table"), "interpretability scores"),
                     html.P(note, className="small text-muted mb-0")])


def scatter_figure(emb: LensEmbedding) -> go.Figure:
    """z* of the sampled items coloured by the attribute (the Embedding page's figure; a click picks the item)."""
    points = Embedding(run_id=emb.lens_id, version=emb.version, method="z*", axes=emb.axes, index=emb.index,
                       x=emb.x, y=emb.y, attributes={emb.attribute: emb.values})
    fig = embedding_figure(points, f"attribute:{emb.attribute}")
    fig.update_layout(title={"text": f"z* of {len(emb.x)} items, coloured by {emb.attribute} (click a point: the "
                             "grid's base item)"}, height=440)
    return fig


def create_lens_banner(lens_id: str, linked: str | None, shown: str | None, latest: str | None,
                       latest_href: str) -> dbc.Alert | None:
    """The version banner (a lens is a run of the lens family) for a link made for another version of the lens
    than its current one, with ids of its own: the base run's banner may show beside it."""
    banner = create_version_banner(lens_id, linked, shown, latest, latest_href)
    if banner is not None:
        banner.id = "lens-version-banner"
        banner.children[-1].id = "lens-version-link"
    return banner
