"""The Labelling page's pure parts: its link, the name it keeps, the action checks, the item view (class buttons
or slider), the guess, the reason, the history (yours editable) and the learning curve."""

from __future__ import annotations

import importlib
import math
from types import ModuleType
from typing import Any

import pytest
from dash import Dash

from frontend.api_client import ImageUrls, LensSummary
from frontend.components import labelling as view
from frontend.components import labelling_actions as actions
from frontend.components.labelling import LabelState
from frontend.components.pagekit import link_note
from frontend.labelling_client import Attribute, Curve, Label, LabelSession, NextItem

IMAGES = ImageUrls("http://localhost:8000")
DIGIT = {"name": "label", "kind": "categorical", "classes": [str(d) for d in range(10)]}
THICKNESS = {"name": "thickness", "kind": "continuous", "low": 1.3, "high": 2.5, "unit": "pixels"}
SESSION: dict[str, Any] = {"id": "5f3a", "run_id": "tiny", "lens_id": "tiny-lens", "dataset": "digits",
                           "n_items": 1797, "attributes": [DIGIT, THICKNESS], "strategy": "bald"}
PROBS = [0.05, 0.1, 0.4, 0.05, 0.05, 0.05, 0.1, 0.1, 0.05, 0.05]
NEXT: dict[str, Any] = {
    "item": 435, "attribute": "label", "lens_version": "58cccab34b53", "score": 0.1166, "rank": 1, "pool": 1448,
    "reason": "Chosen because the lens's samples of z* disagree most about its label.",
    "prediction": {"kind": "categorical", "classes": DIGIT["classes"], "probs": PROBS, "entropy": 1.9},
    "image_url": "/api/v1/datasets/digits/items/435.png",
    "reconstruction_url": "/api/v1/runs/tiny/reconstruct.png?items=435", "labelled_total": 12}


@pytest.fixture(scope="module")
def page(app: Dash) -> ModuleType:
    return importlib.import_module("frontend.pages.labelling")


def current(**changes: Any) -> dict[str, Any]:
    return actions.make_current(NextItem.model_validate({**NEXT, **changes}), 100.0)


def label(**changes: Any) -> Label:
    return Label.model_validate({"id": 7, "item": 435, "attribute": "label", "value": 2, "value_name": "2",
                                 "labeller": "ada", "created_at": "2026-12-02T19:25:38+00:00", **changes})


# -- the link and the name ---------------------------------------------------------------------------------------

def test_the_link_carries_the_session_and_a_malformed_one_is_named() -> None:
    assert LabelState.from_query({"session": "f477fd3b1d52"}).href() == "/label?session=f477fd3b1d52"
    bad = {"session": "x/../y"}
    assert LabelState.from_query(bad).session is None
    note = link_note(LabelState.from_query(bad), bad)
    assert note is not None and "session=x/../y" in str(note.children)


def test_the_form_link_carries_the_run_and_the_item_set(page: ModuleType) -> None:
    linked = {"run": "tiny", "item_set": "9f0e"}
    assert LabelState.from_query(linked).href() == "/label?run=tiny&item_set=9f0e"
    assert link_note(LabelState.from_query(linked), linked) is None
    bad = {"run": "tiny", "item_set": "../9f"}
    assert LabelState.from_query(bad) == LabelState(run="tiny")
    note = link_note(LabelState.from_query(bad), bad)
    assert note is not None and "item_set=../9f" in str(note.children)
    assert page.page_query(None, "tiny", page.ALL_ITEMS) == "?run=tiny"
    assert page.page_query({"id": "5f3a"}, "tiny", "9f0e") == "?session=5f3a"  # an open session's link wins


def test_a_name_is_kept_trimmed_and_refused_when_empty_or_too_long(page: ModuleType) -> None:
    assert page.clean_name("  Ada Lovelace ") == "Ada Lovelace"
    assert page.clean_name("   ") is None and page.clean_name(None) is None
    assert page.clean_name("a" * page.MAX_NAME) is not None and page.clean_name("a" * (page.MAX_NAME + 1)) is None


# -- actions ------------------------------------------------------------------------------------------------------

def test_time_taken_counts_from_the_lease() -> None:
    assert actions.time_taken_ms(100.0, 101.25) == 1250
    assert actions.time_taken_ms(None, 101.0) is None and actions.time_taken_ms(102.0, 101.0) is None
    assert actions.time_taken_ms(100.0, 100.0 + 2**31 / 1000) is None  # beyond what the API records


def test_an_answer_counts_only_for_the_item_shown() -> None:
    shown = current()
    assert shown["next"]["item"] == 435 and shown["shown_at"] == 100.0
    assert current()["serial"] != shown["serial"]  # each lease its own serial
    answer = {"kind": "label", "item": 435, "value": 2, "serial": shown["serial"], "key": "k"}
    assert not actions.is_stale(answer, shown)
    assert actions.is_stale({**answer, "serial": "older"}, shown) and actions.is_stale(answer, None)
    assert not actions.is_stale({"kind": "undo", "key": "k"}, None)  # an undo is about you, not the item shown


def test_an_answer_value_is_a_class_index_or_a_number() -> None:
    assert actions.answer_value({"value": 3}) == 3 and actions.answer_value({"value": 1.95}) == 1.95
    assert actions.answer_value({"value": True}) is None and actions.answer_value({"value": "3"}) is None
    assert actions.answer_value({}) is None


def test_a_failed_write_reissues_the_item_so_it_can_be_answered_again() -> None:
    shown = current()
    again = actions.reissue(shown)
    assert again["next"] == shown["next"] and again["serial"] != shown["serial"]


def test_image_urls_are_put_on_the_backends_public_address(page: ModuleType) -> None:
    assert page.absolute_url(IMAGES, NEXT["image_url"]) == "http://localhost:8000/api/v1/datasets/digits/items/435.png"
    assert page.absolute_url(IMAGES, "https://elsewhere.example/x.png") is None
    assert page.absolute_url(IMAGES, None) is None and page.absolute_url(None, NEXT["image_url"]) is None


def test_only_fitted_lenses_can_be_chosen(page: ModuleType) -> None:
    def lens(lens_id: str, status: str, version: str | None) -> LensSummary:
        return LensSummary(lens_id=lens_id, run_id="tiny", version=version, parent_version="ab", status=status,
                           variant="ilvm", k=4, attributes=["label"])

    options = page.lens_options([lens("a", "ready", "v1"), lens("b", "training", None), lens("c", "refitting", "v2")])
    assert [o["disabled"] for o in options] == [False, True, False]
    assert options[1]["label"] == "b (label) — training"


# -- the item ---------------------------------------------------------------------------------------------------

def test_a_categorical_item_shows_keyed_class_buttons_and_hides_the_slider(page: ModuleType) -> None:
    out = page.item_view(current(), SESSION, "ada", IMAGES)
    img, recon, title, counter, done, buttons, slider_hidden, *_, answer_hidden, guess, reason = out
    assert img.endswith("/api/v1/datasets/digits/items/435.png") and recon.endswith("reconstruct.png?items=435")
    assert title == "Item 435: which label?" and counter == "12 labelled in this session" and done == ""
    assert [b.id for b in buttons] == [{"type": "label-class", "index": k} for k in range(10)]
    keys = [b.children[0].children if len(b.children) == 2 else None for b in buttons]
    assert keys == [str(k) for k in range(1, 10)] + [None]  # keys 1-9, the tenth class by click only
    assert slider_hidden and not answer_hidden and guess is not None and reason is not None


def test_a_continuous_item_shows_the_slider_at_the_models_mean(page: ModuleType) -> None:
    shown = current(attribute="thickness", prediction={"kind": "continuous", "mean": 1.8, "sd": 0.2})
    out = page.item_view(shown, SESSION, "ada", IMAGES)
    buttons, slider_hidden, low, high, step, value, marks = out[5:12]
    assert buttons == [] and not slider_hidden
    assert (low, high) == (1.3, 2.5) and math.isclose(step, 0.012) and marks == {1.3: "1.3", 2.5: "2.5"}
    assert value == 1.804  # the slider's step nearest the mean 1.8: 1.3 + 42 x 0.012


def test_no_item_says_why_and_what_to_do(page: ModuleType) -> None:
    out = page.item_view(current(item=None), SESSION, "ada", IMAGES)
    assert out[0] is None and "Nothing left to label for label" in out[4] and out[12] is True  # answers hidden
    assert "Type your name" in page.item_view(None, SESSION, None, IMAGES)[4]


def test_the_slider_starts_inside_the_range() -> None:
    thickness = Attribute.model_validate(THICKNESS)
    assert view.slider_settings(thickness, {"kind": "continuous", "mean": 9.0, "sd": 1.0})["value"] == 2.5
    assert view.slider_settings(thickness, None)["value"] == pytest.approx(1.9)


def test_the_guess_lists_the_likeliest_classes_first() -> None:
    guess = view.create_guess(NEXT["prediction"], Attribute.model_validate(DIGIT))
    names = [row.children[0].children for row in guess.children[:3]]
    assert names == ["2", "1", "6"] and "1.90 nats" in guess.children[3].children
    continuous = view.create_guess({"kind": "continuous", "mean": 1.8, "sd": 0.2}, Attribute.model_validate(THICKNESS))
    assert continuous.children[0].children == "1.8 pixels" and "± 0.2" in continuous.children[1]
    assert "no guess" in view.create_guess(None, None).children


def test_the_reason_gives_rank_score_and_version() -> None:
    assert view.reason_text(NextItem.model_validate(NEXT)) == ("rank 1 of 1,448 unlabelled items · score 0.117 nats · "
                                                               "lens version 58cccab34b53")
    unranked = NextItem.model_validate({**NEXT, "score": None, "rank": None})  # a random session's item
    assert view.reason_text(unranked) == "lens version 58cccab34b53"


# -- the history, progress and curve ---------------------------------------------------------------------------

def test_your_standing_labels_are_editable_and_the_rest_read_only() -> None:
    digit = Attribute.model_validate(DIGIT)
    mine = view.history_value(label(), digit, "ada")
    assert mine.id == {"type": "label-edit", "index": 435, "attribute": "label"} and mine.value == 2
    assert view.history_value(label(labeller="bea"), digit, "ada") == "2"
    assert type(view.history_value(label(retracted_by=8), digit, "ada")).__name__ == "Del"
    assert view.history_value(label(id=8, value=None, value_name=None, retracts=7), digit, "ada").children == "undo"
    thick = view.history_value(label(attribute="thickness", value=1.95, value_name=None),
                               Attribute.model_validate(THICKNESS), "ada")
    assert thick.type == "number" and (thick.min, thick.max, thick.value) == (1.3, 2.5, 1.95)


def test_a_value_is_shown_by_name_or_with_its_unit() -> None:
    digit, thick = Attribute.model_validate(DIGIT), Attribute.model_validate(THICKNESS)
    assert view.shown_value(label(value_name=None, value=4), digit) == "4"
    assert view.shown_value(label(value_name=None, value=1.95), thick) == "1.95 pixels"


def test_the_history_is_redrawn_only_when_it_changed(page: ModuleType) -> None:
    rows = [label(), label(id=8, item=12, value=5, value_name="5")]
    assert page.history_key(rows) == [[7, 435, 2, None, "label"], [8, 12, 5, None, "label"]]
    assert page.history_key([label(retracted_by=9)]) != page.history_key([label()])


def test_progress_says_what_the_refit_is_doing() -> None:
    session = LabelSession.model_validate({**SESSION, "refit": {"state": "running", "labels_at_last_refit": 50,
                                                                "next_refit_at": 100}})
    assert view.refit_text(session) == "refitting the lens (running) on 50+ labels"
    idle = LabelSession.model_validate({**SESSION, "refit": {"state": "idle", "next_refit_at": 100}})
    assert view.refit_text(idle) == "next refit at 100 labels"
    assert "failed" in view.refit_text(LabelSession.model_validate({**SESSION, "refit": {"state": "failed"}}))


def test_who_is_labelling_puts_the_busiest_first_and_marks_you() -> None:
    progress = LabelSession.model_validate({**SESSION, "progress": {"labels": 5, "labellers": {
        "bea": {"labels": 1, "labels_last_hour": 1, "labels_per_hour": 1.0},
        "ada": {"labels": 4, "labels_last_hour": 4, "labels_per_hour": 40.0}}}}).progress
    table = view.create_labellers(progress, "bea")
    rows = table.children[1].children
    assert [r.children[0].children for r in rows] == ["ada", "bea (you)"] and rows[1].className == "fw-semibold"
    assert rows[0].children[3].children == "40/h" and rows[1].children[3].children == "1.0/h"


def test_the_curve_plots_score_and_accuracy_per_label() -> None:
    curve = Curve.model_validate({"attribute": "label", "held_out": 349, "points": [
        {"labels": 50, "score": 0.2, "accuracy": 0.3, "lens_version": "a"},
        {"labels": 100, "score": None, "accuracy": None, "lens_version": "b", "error": "no labels"}]})
    fig = view.curve_figure(curve)
    assert [list(t.x) for t in fig.data] == [[50, 100], [50, 100]] and list(fig.data[0].y) == [0.2, None]
    assert "349 held-out" in fig.layout.yaxis.title.text
    assert view.curve_figure(Curve(attribute="label")).layout.annotations  # says why it is empty


def test_a_choice_of_attribute_only_with_several(page: ModuleType) -> None:
    assert page.attribute_choice(SESSION) == ([{"label": "label", "value": "label"},
                                               {"label": "thickness", "value": "thickness"}], "label", False)
    assert page.attribute_choice({**SESSION, "attributes": [DIGIT]})[1:] == ("label", True)
