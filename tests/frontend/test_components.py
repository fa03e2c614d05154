"""Component factories and their pure parts: the schema form, run choice, tables' numbers."""

from __future__ import annotations

from fake_backend import FAMILIES, GROUPED_RUN, HEATMAP, METRICS, RUN

from frontend.api_client import BackendError, GroupHeatmap, MetricResult, MetricsFile, RunSummary
from frontend.components.controls import (
    TRAIN_SCHEMA,
    create_config_form,
    create_latent_sliders,
    create_schema_input,
    dom_id,
    field_kind,
    pick_run,
    run_options,
)
from frontend.components.feedback import create_error_alert
from frontend.components.forms import form_values
from frontend.components.tables import (
    create_runs_table,
    create_top_groups_table,
    key_metrics,
    metric_rows,
    run_links,
    sample,
    summary_rows,
)

SCHEMA = FAMILIES["families"][0]["config_schema"]


def ids_of(node: object) -> list[object]:
    """Every id in a component tree, in document order."""
    if isinstance(node, list | tuple):
        return [i for child in node for i in ids_of(child)]
    own = [node.id] if getattr(node, "id", None) is not None else []
    children = getattr(node, "children", None)
    return own + (ids_of(children) if children is not None else [])


def test_field_kinds() -> None:
    props = SCHEMA["properties"]
    assert [field_kind(props[k]) for k in props] == ["integer", "int_list", "enum", "number"]
    assert field_kind({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == "integer"
    assert field_kind({"type": "array", "items": {"type": "string"}}) == "json"
    assert field_kind({"type": "boolean"}) == "boolean"


def test_the_form_has_one_labelled_control_per_property() -> None:
    form = create_config_form(SCHEMA, {"latent_dim": 10, "hidden": [256, 256]}, "config-field")
    ids = [i for i in ids_of(form) if isinstance(i, dict) and i["type"] == "config-field"]
    assert [i["field"] for i in ids] == ["latent_dim", "hidden", "likelihood", "beta"]
    assert dom_id({"type": "config-field", "field": "beta"}) == '{"field":"beta","type":"config-field"}'


def test_form_values_parse_and_report() -> None:
    ids = [{"type": "c", "field": f} for f in ("latent_dim", "hidden", "likelihood", "beta")]
    config, errors = form_values(SCHEMA, ids, [4, "64, 32", "gaussian", "0.5"])
    assert config == {"latent_dim": 4, "hidden": [64, 32], "likelihood": "gaussian", "beta": 0.5} and not errors
    config, errors = form_values(SCHEMA, ids, [None, "", "auto", None])  # a blank is never the default
    assert config == {"likelihood": "auto"} and set(errors) == {"latent_dim", "hidden", "beta"}
    _, errors = form_values(SCHEMA, ids, [2.5, "a, b", "auto", "x"])
    assert len(errors) == 3 and "expected comma-separated whole numbers" in errors["hidden"]
    train, errors = form_values(TRAIN_SCHEMA, [{"type": "t", "field": "steps"}], [300])
    assert train == {"steps": 300} and not errors


def test_the_isa_vae_form_has_int_and_float_list_fields_that_parse() -> None:
    from backend.services.catalog import family_views  # the real API's family list (the fake lists only vae)

    isa = next(f for f in family_views() if f["name"] == "isa_vae")
    schema, defaults = isa["config_schema"], isa["defaults"]
    kinds = {name: field_kind(prop) for name, prop in schema["properties"].items()}
    assert kinds["subspace_sizes"] == "int_list" and kinds["p_inner"] == "float_list" and kinds["p0"] == "number"
    assert kinds["learn_inner"] == "boolean"
    form = create_config_form(schema, defaults, "config-field")
    assert [i["field"] for i in ids_of(form) if isinstance(i, dict) and i["type"] == "config-field"] == list(kinds)
    shown = {i["field"]: c.value for c in flatten(form) if isinstance(getattr(c, "id", None), dict)
             for i in [c.id] if i["type"] == "config-field"}
    assert shown["subspace_sizes"] == "4, 4, 4, 4, 4" and shown["p_inner"] == "2.2"
    typed = dict(shown, latent_dim="6", subspace_sizes="3, 3", p_inner="2.2, 1.8")
    ids = [{"type": "c", "field": f} for f in typed]
    config, errors = form_values(schema, ids, list(typed.values()))
    assert not errors and config["subspace_sizes"] == [3, 3] and config["p_inner"] == [2.2, 1.8]


def flatten(node: object) -> list[object]:
    """Every component in a tree, in document order."""
    if isinstance(node, list | tuple):
        return [c for child in node for c in flatten(child)]
    children = getattr(node, "children", None)
    return [node] + (flatten(children) if children is not None else [])


def test_run_choice_prefers_ready_runs() -> None:
    runs = [RunSummary(run_id="new", family="vae", dataset="d", status="training"),
            RunSummary.model_validate(RUN)]
    assert pick_run(runs, None) == "tiny" and pick_run(runs, "new") == "tiny" and pick_run([], None) is None
    options = run_options(runs)
    assert options[0]["disabled"] and "(training)" in options[0]["label"] and not options[1]["disabled"]


def test_a_slider_widens_to_hold_its_value() -> None:
    sliders = [row.children[1].children for row in create_latent_sliders([0.5, 9.0, -3.2])]
    assert [s.value for s in sliders] == [0.5, 9.0, -3.2]
    assert [(s.min, s.max) for s in sliders] == [(-3.0, 3.0), (-9.0, 9.0), (-4.0, 4.0)]


def test_key_metrics_and_metric_rows() -> None:
    metrics = MetricsFile.model_validate(METRICS)
    assert key_metrics(metrics) == {"val loss (nats)": 31.15, "IW-ELBO (nats)": -30.5, "MIG (dlib)": 0.12,
                                    "MI total (nats, Gaussian)": 0.98}
    assert key_metrics(None) == key_metrics(MetricsFile()) == {}
    rows = metric_rows(metrics)
    assert [(r["metric"], r["variant"], r["value"], r["sample"]) for r in rows] == [
        ("mig_dlib", "mig_dlib", "0.12", "10,000 points (1,797 distinct)"),
        ("sap", "sap_dlib_discrete", "0.05", "1,797 points")]
    assert rows[0]["scores"] == "discrete_mig 0.12"
    results = [{"n_points": 10_000}, {"n_items": 400, "factors": []}, {"n_votes": 600, "batch": 64}, {},
               {"n_points": 10_000, "n_distinct": 1_797}, {"n_points": 10_000, "n_distinct": 10_000}]
    assert [sample(MetricResult(variant="v", value=0.0, **r)) for r in results] == [
        "10,000 points", "400 items", "600 votes of 64", "—", "10,000 points (1,797 distinct)", "10,000 points"]


def test_runs_table_rows() -> None:
    table = create_runs_table([RunSummary.model_validate(RUN)], {"tiny": MetricsFile.model_validate(METRICS)}, "tiny")
    assert {"type": "run-select", "run": "tiny"} in ids_of(table)


def test_a_run_whose_training_stopped_says_why_instead_of_linking() -> None:
    failed = RunSummary.model_validate({**RUN, "version": None, "status": "failed", "error": "RuntimeError: oom"})
    cancelled = RunSummary.model_validate({**RUN, "version": None, "status": "cancelled", "error": "cancelled"})
    assert run_links(failed).children == "training failed: RuntimeError: oom"
    assert run_links(cancelled).children == "training cancelled"
    assert run_links(RunSummary.model_validate({**RUN, "version": None, "status": "training"})).children == "training…"


def test_number_fields_send_what_was_typed() -> None:
    """Text, not type=number: a browser turns text it cannot read ("abc", "1e400") into a blank."""
    steps = create_schema_input("t", "steps", {"type": "integer", "minimum": 1, "default": 2000}, 2000)
    assert (steps.type, steps.inputmode, steps.placeholder) == ("text", "numeric", "default: 2000")
    schema = {"properties": {"steps": {"type": "integer"}}}
    assert form_values(schema, [{"field": "steps"}], ["-10"]) == ({"steps": -10}, {})  # no minimum: the backend's
    assert form_values(schema, [{"field": "steps"}], ["2.5"])[1] == {"steps": "expected a whole number, got 2.5"}


def test_only_grouped_runs_link_to_the_groups_page() -> None:
    grouped = [link.children for link in run_links(RunSummary.model_validate(GROUPED_RUN)).children]
    assert grouped == ["Explore", "Factors", "Embedding", "Groups"]
    assert "Groups" not in [link.children for link in run_links(RunSummary.model_validate(RUN)).children]


def test_top_groups_table_marks_the_selected_dim() -> None:
    region = create_top_groups_table(GroupHeatmap.model_validate(HEATMAP).top_groups, 1)
    assert region.tabIndex == 0 and region.role == "region"  # a keyboard reaches the sideways scroll
    rows = region.children.children[1].children
    assert [r.children[1].children for r in rows] == ["head 1.2 · leg 0.3", "arm 0.8", "head 0.05 · leg 1e-07",
                                                      "— (every link pruned)"]
    assert [r.className for r in rows] == ["", "table-active", "", ""]


def test_summary_rows_leave_out_unset_training_numbers() -> None:
    rows = dict(summary_rows(MetricsFile.model_validate(
        {"training": {"steps": 100, "best_val_loss": None, "stopped_early": False}})))
    assert rows == {"training: steps": "100"}


def test_summary_rows_say_which_items_a_number_was_measured_on() -> None:
    held = {"n_items": 500, "items": "held out"}
    rows = dict(summary_rows(MetricsFile.model_validate({"report": {
        "log_likelihood": {"iw_elbo": -30.5, "samples": 100, **held}, "reconstruction": {"mse": 0.01, "nll": 31.0,
                                                                                         **held}}})))
    assert set(rows) == {"test log-likelihood (IW-ELBO, 100 samples, 500 held-out items)",
                         "reconstruction: mse (500 held-out items)", "reconstruction: nll (500 held-out items)"}
    old = dict(summary_rows(MetricsFile.model_validate(
        {"report": {"log_likelihood": {"iw_elbo": -30.5, "samples": 100, "n_items": 500}}})))
    assert list(old) == ["log-likelihood (IW-ELBO, 100 samples, 500 items, training ones included)"]


def test_a_passing_backend_trouble_offers_to_try_again() -> None:
    down = create_error_alert(BackendError(503, "Backend unreachable", "could not reach the backend"), "load the run")
    (again,) = [c for c in down.children if getattr(c, "href", None) is not None]
    assert again.href == "" and again.children == "Try again"  # the same page, loaded again
    missing = create_error_alert(BackendError(404, "Not Found", "no run 'x'"))
    assert "Try again" not in [getattr(c, "children", None) for c in missing.children]  # it would not help
    assert [c.href for c in missing.children if getattr(c, "href", None) is not None] == ["/"]  # pick one instead
