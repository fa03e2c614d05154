"""Pieces every run page shares: loading the run it shows (``register_run_loader``), the share box and the URL
sync.

The URL sync: a page computes its state's query into a ``<prefix>-query`` store; the clientside function
``factorscope.syncQuery`` (assets/factorscope.js) writes it into the address bar with
``history.replaceState`` (no reload, no history entry per slider move) and returns the absolute link
shown in the share box."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from .. import context
from ..api_client import BackendClient, BackendError, Dataset, Job, Run, RunSummary
from ..state import PageState
from .controls import pick_run, run_options
from .feedback import create_error_alert, create_message, create_no_run_note, create_version_banner
from .queue import queue_text
from .shell import CURRENT_RUN

WATCH_MS = 5000  # how often a page re-reads a job it shows while that job is unfinished


def parse_search(search: str | None) -> dict[str, str]:
    """'?a=1&b=x' -> {'a': '1', 'b': 'x'} (first value of each key)."""
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?"), keep_blank_values=True).items()}


def register_url_sync(prefix: str) -> None:
    """Write ``<prefix>-query`` into the address bar and the absolute link into ``<prefix>-share``."""
    clientside_callback(ClientsideFunction("factorscope", "syncQuery"), Output(f"{prefix}-share", "value"),
                        Input(f"{prefix}-query", "data"))


def register_link_note_reset(prefix: str) -> None:
    """Clear ``<prefix>-link-note`` (what the opening link got wrong) once the user picks another run than the
    link's in ``<prefix>-run-select``: the note was about that link."""
    clientside_callback(ClientsideFunction("factorscope", "clearLinkNote"), Output(f"{prefix}-link-note", "children"),
                        Input(f"{prefix}-run-select", "value"), State(f"{prefix}-initial", "data"),
                        prevent_initial_call=True)


def create_share_box(prefix: str, extra: Any = None) -> html.Div:
    """The page's link (kept in step with the URL) with a copy button."""
    share_id = f"{prefix}-share"
    box = dbc.InputGroup([
        dbc.Input(id=share_id, readonly=True, type="text", className="fs-share-input"),
        dbc.InputGroupText(dcc.Clipboard(target_id=share_id, title="copy link", id=f"{prefix}-copy",
                                         className="fs-copy")),
    ], size="sm")
    children: list[Any] = [dbc.Label("Link to this view", html_for=share_id, className="fs-label"), box]
    if extra is not None:
        children.append(extra)
    return html.Div(children, className="fs-share mb-3")


@dataclass
class RunView:
    """What a run page loaded: the runs (for the picker), the run shown, and messages to show. A page that
    needs a ``capability`` (e.g. "group_heatmap") offers only the runs that have it."""

    runs: list[RunSummary] = field(default_factory=list)
    run: Run | None = None
    dataset: Dataset | None = None
    alerts: list[Any] = field(default_factory=list)
    asked: str | None = None
    capability: str | None = None
    listed: bool = False  # whether the backend answered the list of runs

    @property
    def offered(self) -> list[RunSummary]:
        return [r for r in self.runs if self.capability is None or self.capability in r.capabilities]

    @property
    def options(self) -> list[dict[str, Any]]:
        """The runs offered, plus a run the link asked for that is not among them (a Dash 4 dropdown would
        clear a value missing from its options, and the page would silently switch runs under its message)."""
        options = run_options(self.offered)
        if self.asked and all(o["value"] != self.asked for o in options):
            known = any(r.run_id == self.asked for r in self.runs)
            why = f"no {self.capability.replace('_', ' ')}" if self.capability and known else "not found"
            why = why if self.listed else "runs could not be listed"  # the backend is down: not a missing run
            options.append({"label": f"{self.asked} ({why})", "value": self.asked, "disabled": True})
        return options

    @property
    def run_id(self) -> str | None:
        return self.run.run_id if self.run else None


def active_jobs(client: BackendClient) -> dict[str, dict[str, Job]]:
    """Job kind -> run id -> that run's newest unfinished job of the kind (a new evaluation beside one being
    cancelled), from one request; empty when the job list cannot be read."""
    try:
        jobs = client.jobs(active=True)
    except BackendError:
        return {}
    by_kind: dict[str, dict[str, Job]] = {}
    for job in reversed(jobs):  # oldest first: a newer job of the run replaces an older one
        by_kind.setdefault(job.kind, {})[str(job.payload.get("run_id"))] = job
    return by_kind


def progress_view(job: Job) -> tuple[int, str, str]:
    """(percent, bar label, status line) of a job; a queued one says how many jobs come first and when it should
    start (``queue_text``)."""
    percent = round(100 * max(0.0, min(1.0, job.progress)))
    if job.state == "queued":
        return percent, f"{percent}%", queue_text(job) or job.state
    said = job.message and job.message != job.state  # a queued job's message is just "queued"
    return percent, f"{percent}%", f"{job.state}: {job.message}" if said else job.state


def link_note(state: PageState, query: Mapping[str, Any]) -> dbc.Alert | None:
    """A warning naming the parts of the page's link it could not use as given; None when it used them all."""
    unused = state.unused(query)
    if not unused:
        return None
    run = " Run ids are lowercase letters, digits, '-' and '_'." if any(u.startswith("run=") for u in unused) else ""
    return create_message(f"This link's {', '.join(unused)} could not be used as given (malformed or out of range); "
                          f"the page shows the defaults or the nearest allowed values instead.{run}", "warning")


def load_run_view(client: BackendClient, asked: str | None, remembered: str | None,
                  with_dataset: bool = False, capability: str | None = None, version: str | None = None) -> RunView:
    """The run asked for (a problem if it does not exist or is still training), else the one remembered
    from the session, else the newest ready run (among those with ``capability``, when given). ``version``: the
    asked run's version a link pins, shown when the run kept it (else its current one)."""
    view = RunView(asked=asked, capability=capability)
    try:
        view.runs, view.listed = client.runs(), True
        chosen = asked if asked else pick_run(view.offered, remembered)
        if chosen is None:
            view.alerts.append(no_run_note(client, view))
            return view
        run = pinned_or_current(client, chosen, version if chosen == asked else None)
        if run.status != "ready" or not run.version:
            view.alerts.append(not_ready_note(run))
            return view
        view.run = run
        if with_dataset:
            view.dataset = next((d for d in client.datasets() if d.name == run.dataset), None)
    except BackendError as err:
        view.alerts.append(create_error_alert(err, "load the run"))
    return view


def pinned_or_current(client: BackendClient, run_id: str, version: str | None) -> Run:
    """The run at ``version`` when it kept that version, else at its current one (the banner says which)."""
    if version:
        try:
            return client.run(run_id, version)
        except BackendError as err:
            if err.status != 409:
                raise
    return client.run(run_id)


def not_ready_note(run: Run) -> dbc.Alert:
    """Why a run without weights shows nothing: it is still training, or its training stopped."""
    if run.status in ("failed", "cancelled"):
        why = f": {run.error}" if run.status == "failed" and run.error else ""
        return create_message(f"Run {run.run_id} has no trained weights: its training {run.status}{why}. Delete "
                              "it or train a new run on the Runs page.", "warning")
    return create_message(f"Run {run.run_id} is still training; its views appear when it is ready (see the Runs "
                          "page for progress).", "info")


def no_run_note(client: BackendClient, view: RunView) -> dbc.Alert:
    """Why no run is shown; for a page needing a capability, which families have it (one more call)."""
    if view.capability is None or view.offered:
        return create_no_run_note(bool(view.offered))
    families = [f.name for f in client.families() if view.capability in f.capabilities]
    return create_no_run_note(False, view.capability, families)


def version_banner(view: RunView, initial: Mapping[str, Any], current_href: str) -> Any:
    """The banner for a link made for another version of the same run (None otherwise)."""
    if view.run is None or initial.get("run") != view.run.run_id:
        return None
    return create_version_banner(view.run.run_id, initial.get("v"), view.run.version,
                                 view.run.latest_version or view.run.version, current_href)


# A page's own part of loading its run: (client, the run shown (ready, with a version), its dataset when asked
# for, the state the page's link asked for) -> (the ``<prefix>-run`` store, more messages).
Fill = Callable[[BackendClient, Run, Dataset | None, Any], tuple[Any, list[Any]]]


@dataclass(frozen=True)
class RunLoader:
    """Loads what a run page shows: the run its link or picker asks for (else the one remembered from the session,
    else the newest ready one with ``capability``), the picker, the version banner, the messages and the page's
    store, which ``fill`` makes. Pages call it from their callback; tests call it as a plain function."""

    parse: Callable[[Mapping[str, str]], PageState]  # the page state's ``from_query``
    fill: Fill
    with_dataset: bool = False
    capability: str | None = None

    def __call__(self, client: BackendClient, run_id: str | None, initial: Mapping[str, str],
                 remembered: str | None) -> tuple[Any, ...]:
        """(store, picker options, picker value, banner, alerts, the session's current run)."""
        asked = self.parse(initial)
        view = load_run_view(client, run_id, remembered, self.with_dataset, self.capability,
                             initial.get("v") if run_id == initial.get("run") else None)
        if view.run is None:
            return None, view.options, view.run_id or run_id, None, view.alerts, no_update
        data, alerts = self.fill(client, view.run, view.dataset, asked)
        latest = view.run.latest_version or view.run.version
        banner = version_banner(view, initial, asked.with_version(latest).href())
        return data, view.options, view.run.run_id, banner, [*view.alerts, *alerts], view.run.run_id


def register_run_loader(prefix: str, parse: Callable[[Mapping[str, str]], PageState], fill: Fill, *,
                        with_dataset: bool = False,
                        capability: str | None = None) -> RunLoader:
    """The page's one loading callback: its picker's value (on first load, the link's run) fills
    ``<prefix>-run``, the picker, ``<prefix>-banner`` and ``<prefix>-alerts``, and remembers the run for the
    session. Returns the loader, for tests."""
    loader = RunLoader(parse, fill, with_dataset, capability)

    @callback(Output(f"{prefix}-run", "data"), Output(f"{prefix}-run-select", "options"),
              Output(f"{prefix}-run-select", "value"), Output(f"{prefix}-banner", "children"),
              Output(f"{prefix}-alerts", "children"), Output(CURRENT_RUN, "data", allow_duplicate=True),
              Input(f"{prefix}-run-select", "value"), State(f"{prefix}-initial", "data"), State(CURRENT_RUN, "data"),
              prevent_initial_call="initial_duplicate")
    def load(run_id: str | None, initial: str, remembered: str | None) -> tuple[Any, ...]:
        return loader(context.client(), run_id, parse_search(initial), remembered)

    return loader
