"""Groups: for a run whose decoder is split into output groups (oi-VAE), how strongly each latent dim drives
each group (the norms of the latent-to-group matrices; pruned links exactly zero), each dim's top groups,
and a clicked dim's traversal drawn feature by feature, in its groups. The whole view is in the URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import BackendClient, BackendError, Dataset, GroupHeatmap, Run
from frontend.components.controls import create_field, create_run_picker, create_span_slider, create_steps_slider
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.figures import (
    GRAPH_CONFIG,
    UNUSED_MI,
    empty_figure,
    group_heatmap_figure,
    group_traversal_figure,
)
from frontend.components.pagekit import (
    create_share_box,
    link_note,
    parse_search,
    register_link_note_reset,
    register_run_loader,
    register_url_sync,
)
from frontend.components.tables import GROUPS_PICK, create_top_groups_table
from frontend.state import SPAN, STEPS, ExploreState, GroupsState, as_float, as_int

dash.register_page(__name__, path="/groups", name="Groups", title="Groups — factorscope", order=4, nav=True)

CAPABILITY = "group_heatmap"
NO_SELECTION: dict[str, Any] = {"dim": None, "group": None}  # the ``groups-selected`` store: a clicked cell


# -- pure helpers (tests call these) ---------------------------------------------------------------------

def clicked_cell(click: Mapping[str, Any] | None, groups: list[str]) -> dict[str, Any] | None:
    """The selection of a clicked heatmap cell: its x is the dim, its y the group's row."""
    points = (click or {}).get("points") or []
    x, y = (points[0].get("x"), points[0].get("y")) if points else (None, None)
    if not isinstance(x, int | float) or not isinstance(y, int | float) or not 0 <= int(y) < len(groups):
        return None
    return {"dim": int(x), "group": groups[int(y)]}


def strongest_cell(hm: GroupHeatmap, dim: int) -> dict[str, Any]:
    """The selection of ``dim`` with its most strongly linked group (none when every link is pruned)."""
    top = linked_groups(hm, dim)[1]
    return {"dim": dim, "group": top[0] if top else None}


def linked_selection(hm: GroupHeatmap, state: GroupsState) -> dict[str, Any]:
    """The link's selected cell when it fits this run (its run, a dim it has, a group it has or none)."""
    if state.run != hm.run_id or state.dim not in hm.dims:
        return NO_SELECTION
    return {"dim": state.dim, "group": state.group if state.group in hm.groups else None}


def linked_groups(hm: GroupHeatmap, dim: int) -> tuple[list[str], list[str]]:
    """(groups with a nonzero link to ``dim``, its top groups)."""
    column = hm.dims.index(dim)
    affected = [g for g, row in zip(hm.groups, hm.norms, strict=True) if row[column] != 0.0]
    top = next((t.groups for t in hm.top_groups if t.dim == dim), [])
    return affected, top


def caption(hm: GroupHeatmap, dim: int, group: str | None, steps: int, span: float) -> str:
    clicked = f"red: the clicked group {group}; " if group else ""
    features = sum(s.stop - s.start for s in hm.group_slices)
    return (f"Rows: the {features} output features in {len(hm.groups)} groups (white lines). Columns: {steps} "
            f"values of z{dim} from −{span:g} to +{span:g} (prior sd) around zero, the other dims at 0. Orange "
            f"boxes: z{dim}'s top groups; {clicked}bold labels: groups linked to z{dim}; grey labels: links "
            "pruned to exactly zero.")


def no_groups_note(run: Run, err: BackendError) -> dbc.Alert:
    hint = err.detail[err.detail.rfind("expected"):] if "expected" in err.detail else err.detail  # the API's advice
    return create_message(f"Run {run.run_id} ({run.family} on {run.dataset}) has no output groups, so there is no "
                          f"group heatmap ({hint}). Choose another run above.", "info")


# -- layout ---------------------------------------------------------------------------------------------

def controls(state: GroupsState) -> html.Div:
    return html.Div([
        create_run_picker("groups-run-select", state.run),
        create_field("Traversal steps", create_steps_slider("groups-steps", state.steps), "groups-steps"),
        create_field("Span (± prior standard deviations)", create_span_slider("groups-span", state.span),
                     "groups-span"),
        create_share_box("groups"),
    ], className="fs-controls")


def card(header: str, *body: Any) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(list(body))], className="mb-3")


def layout(**query: Any) -> html.Div:
    state = GroupsState.from_query(query)
    heatmap = dcc.Loading(dcc.Graph(id="groups-heatmap", config=GRAPH_CONFIG, figure=empty_figure("loading…")))
    traversal = dcc.Loading(dcc.Graph(id="groups-traversal", config=GRAPH_CONFIG,
                                      figure=empty_figure("click a cell of the heatmap to traverse its dim")))
    return html.Div([
        dcc.Store(id="groups-initial", data=state.to_query()),
        dcc.Store(id="groups-run"),
        dcc.Store(id="groups-selected", data=NO_SELECTION),
        dcc.Store(id="groups-query"),
        html.H1("Groups", className="h4"),
        html.Div(id="groups-banner"),
        html.Div(link_note(state, query), id="groups-link-note"),
        html.Div(id="groups-alerts"),
        dbc.Row([
            dbc.Col([controls(state), card("Top groups per dim", html.Div(id="groups-top"))], xs=12, md=4, xl=3),
            dbc.Col([
                card("Latent dim → output group links (click a cell to traverse its dim)", heatmap),
                card("Traversal of the selected dim, group by group", html.Div(id="groups-traversal-alert"),
                     traversal, html.P(id="groups-caption", className="small text-muted mt-2 mb-1"),
                     html.Div(id="groups-explore")),
            ], xs=12, md=8, xl=9),
        ]),
    ], className="fs-page", id="groups-page")


# -- callbacks -------------------------------------------------------------------------------------------

def groups_store(client: BackendClient, run: Run, _dataset: Dataset | None,
                 asked: GroupsState) -> tuple[dict[str, Any] | None, list[Any]]:
    """The ``groups-run`` store (the heatmap's JSON with the MI per dim) and the messages."""
    try:
        data = client.group_heatmap(run.run_id, run.version).model_dump()
    except BackendError as err:
        return None, [no_groups_note(run, err) if err.is_a("no-groups") else
                      create_error_alert(err, "load the group heatmap")]
    data["mi"], notes = dims_information(client, run)
    selection = selection_note(GroupHeatmap.model_validate(data), asked)
    return data, [*notes, selection] if selection else notes


load_groups = register_run_loader("groups", GroupsState.from_query, groups_store, capability=CAPABILITY)


def dims_information(client: BackendClient, run: Run) -> tuple[list[float] | None, list[Any]]:
    """(MI per dim or None, messages): the API's warning that the model has collapsed (no link of its heatmap
    means anything; shown above it), else a note naming the dims the encoder ignores (their links mean nothing)."""
    try:
        factors = client.factors(run.run_id, run.version)
    except BackendError as err:
        return None, [create_error_alert(err, "measure each dim's information (columns are unlabelled)")]
    mi = [d.mi_gaussian for d in sorted(factors.dims, key=lambda d: d.dim)]
    if factors.warnings:
        return mi, [collapse_alert(run, factors.warnings)]
    unused = [f"z{j}" for j, m in enumerate(mi) if m < UNUSED_MI]
    if not unused:
        return mi, []
    return mi, [create_message(f"{', '.join(unused)} carr{'ies' if len(unused) == 1 else 'y'} no information about "
                              f"the data (MI < {UNUSED_MI} nats): the encoder ignores "
                              f"{'it' if len(unused) == 1 else 'them'}, so {'its' if len(unused) == 1 else 'their'} "
                              "links only shape what the prior decodes to.", "info")]


def collapse_alert(run: Run, warnings: list[str]) -> dbc.Alert:
    """A collapsed model's warnings (``models.collapse``, via the API), kept on screen above the heatmap."""
    advice = ("Do not read the heatmap below as links between latent factors and groups: retrain the run (with "
              "oi_vae's default theta_prior_scaling, full_data).")
    return dbc.Alert([html.Strong(f"Run {run.run_id}: "), " ".join(warnings), " ", advice],
                     color="danger", className="fs-alert", id="groups-collapsed")


def selection_note(hm: GroupHeatmap, asked: GroupsState) -> Any:
    """A warning for a link's selected dim or group that this run lacks (no cell is selected then)."""
    if asked.run != hm.run_id or linked_selection(hm, asked) == {"dim": asked.dim, "group": asked.group}:
        return None
    wrong = []
    if asked.dim is not None and asked.dim not in hm.dims:
        wrong.append(f"dim {asked.dim} (it has dims {min(hm.dims)}..{max(hm.dims)})")
    if asked.group is not None and asked.group not in hm.groups:
        wrong.append(f"group {asked.group!r} (it has {', '.join(hm.groups)})")
    elif asked.group is not None and asked.dim is None:
        wrong.append(f"group {asked.group!r} (no dim is selected with it)")
    return create_message(f"The link's {' and '.join(wrong)} cannot be selected in {hm.run_id}; click a cell to "
                          "select one.", "warning")


@callback(Output("groups-selected", "data"), Input("groups-run", "data"), Input("groups-heatmap", "clickData"),
          Input({"type": GROUPS_PICK, "dim": ALL}, "n_clicks"), State("groups-initial", "data"))
def select(run: Mapping[str, Any] | None, click: Mapping[str, Any] | None, _picks: list[int | None],
           initial: str) -> dict[str, Any]:
    """A click selects its cell, a dim's button in the top-groups table (the keyboard's path) that dim with its
    strongest group; a run (re)loaded starts from the link's selection."""
    if not run:
        return NO_SELECTION
    hm = GroupHeatmap.model_validate(run)
    if isinstance(ctx.triggered_id, Mapping):  # a dim's button; a table just drawn has no click yet
        if not ctx.triggered[0].get("value"):
            raise PreventUpdate
        return strongest_cell(hm, int(ctx.triggered_id["dim"]))
    if ctx.triggered_id == "groups-heatmap":
        cell = clicked_cell(click, hm.groups)
        if cell is None:
            raise PreventUpdate
        return cell
    return linked_selection(hm, GroupsState.from_query(parse_search(initial)))


@callback(Output("groups-heatmap", "figure"), Output("groups-top", "children"), Input("groups-run", "data"),
          Input("groups-selected", "data"))
def heatmap(run: Mapping[str, Any] | None, selected: Mapping[str, Any]) -> tuple[Any, Any]:
    if not run:
        return empty_figure("no group heatmap"), None
    hm = GroupHeatmap.model_validate(run)
    return (group_heatmap_figure(hm, selected["dim"], selected["group"], run.get("mi")),
            create_top_groups_table(hm.top_groups, selected["dim"]))


@callback(Output("groups-traversal", "figure"), Output("groups-caption", "children"),
          Output("groups-explore", "children"), Output("groups-traversal-alert", "children"),
          Input("groups-run", "data"), Input("groups-selected", "data"), Input("groups-steps", "value"),
          Input("groups-span", "value"))
def traversal(run: Mapping[str, Any] | None, selected: Mapping[str, Any], steps: Any, span: Any) -> tuple[Any, ...]:
    return traversal_view(context.client(), run, selected, as_int(steps, *STEPS), as_float(span, *SPAN))


def traversal_view(client: BackendClient, run: Mapping[str, Any] | None, selected: Mapping[str, Any], steps: int,
                   span: float) -> tuple[Any, ...]:
    """(figure, caption, "open in Explore" link, problem) for the selected dim."""
    dim, group = selected["dim"], selected["group"]
    if not run or dim is None:
        return empty_figure("click a cell of the heatmap to traverse its dim"), "", None, None
    hm = GroupHeatmap.model_validate(run)
    explore = ExploreState(run=hm.run_id, v=hm.version, dims=(dim,), steps=steps, span=span).href()
    link = dcc.Link(f"Open z{dim} in Explore", href=explore, id="groups-explore-link", className="small")
    try:
        tr = client.dim_traversal(hm.run_id, dim, steps, span, hm.version)
    except BackendError as err:
        return empty_figure("no traversal"), "", link, create_error_alert(err, f"traverse z{dim}")
    fig = group_traversal_figure(tr, hm.group_slices, *linked_groups(hm, dim), group)
    return fig, caption(hm, dim, group, steps, span), link, None


@callback(Output("groups-query", "data"), Input("groups-run", "data"), Input("groups-selected", "data"),
          Input("groups-steps", "value"), Input("groups-span", "value"))
def query(run: Mapping[str, Any] | None, selected: Mapping[str, Any], steps: Any, span: Any) -> str:
    if not run:
        raise PreventUpdate
    return GroupsState(run=run["run_id"], v=run["version"], dim=selected["dim"], group=selected["group"],
                       steps=as_int(steps, *STEPS), span=as_float(span, *SPAN)).to_query()


register_url_sync("groups")
register_link_note_reset("groups")
