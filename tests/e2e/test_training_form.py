"""The training form in headless Chromium against the real API and worker (issue 20 item 1): letters in
latent_dim, 1e400 in beta and nan in lr are each refused beside their field and no run is created (they used to
start a run with the defaults); a good form creates exactly the run it shows."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from e2e_stack import Stack

from frontend.components.controls import dom_id

pytestmark = pytest.mark.browser


def run_ids(stack: Stack) -> set[str]:
    return {r["run_id"] for r in httpx.get(f"{stack.api_url}/api/v1/runs").json()["runs"]}


def message(page: Any, id_type: str, field: str) -> Any:
    """The message slot beside a form field (controls.create_field)."""
    return page.locator(f"[id='{dom_id({'type': f'{id_type}-error', 'field': field})}']")


def wait_message(page: Any, id_type: str, field: str, text: str) -> None:
    """Wait until the field's message reads ``text`` (it follows a round trip to the dashboard)."""
    page.wait_for_function("([id, text]) => document.getElementById(id).textContent === text",
                           arg=[dom_id({"type": f"{id_type}-error", "field": field}), text])


def open_form(page: Any, stack: Stack) -> None:
    page.goto(f"{stack.ui_url}/?family=vae&dataset=digits")
    page.get_by_label("Latent Dim").wait_for()
    page.wait_for_function("() => document.querySelector('#runs-dataset').value === 'digits'")


def test_bad_values_are_refused_beside_their_field_and_no_run_starts(stack: Stack, page: Any, shot: Any) -> None:
    before = run_ids(stack)
    open_form(page, stack)
    page.get_by_label("Latent Dim").fill("")
    page.get_by_label("Latent Dim").press_sequentially("abc")  # typed key by key, as the user did
    page.get_by_label("Beta").fill("1e400")
    page.get_by_label("Beta").press("Tab")  # checked as the user leaves the field, before any Train
    wait_message(page, "config-field", "latent_dim", "expected a whole number like 64, got 'abc'")
    wait_message(page, "config-field", "beta", "expected a finite number, got 1e400 (beyond what a float holds)")
    page.get_by_label("Learning rate").fill("nan")
    page.get_by_label("Run id (optional)").fill("Bad Id")
    page.locator("#runs-submit").click()
    alert = page.locator("#runs-form-alert .alert-danger")
    alert.wait_for()
    assert "Nothing was sent: fix the 4 fields marked in red (latent_dim, beta, lr, run_id)." in alert.inner_text()
    assert message(page, "config-field", "latent_dim").inner_text() == "expected a whole number like 64, got 'abc'"
    assert message(page, "config-field", "beta").inner_text() == \
        "expected a finite number, got 1e400 (beyond what a float holds)"
    assert message(page, "train-field", "lr").inner_text() == "expected a number like 0.001 or 1e-3, got 'nan'"
    assert "lowercase letters" in page.locator("#runs-run-id-error").inner_text()
    assert message(page, "config-field", "hidden").inner_text() == ""  # only the bad fields are marked
    assert page.get_by_label("Latent Dim").input_value() == "abc"  # what was typed stays for the user to fix
    shot(page, "runs-form-errors")
    page.wait_for_timeout(1500)  # a run the form had sent would be listed by now
    assert run_ids(stack) == before
    assert page.locator("#runs-job").is_hidden()
    page.get_by_label("Latent Dim").fill("3")
    page.get_by_label("Latent Dim").press("Tab")
    wait_message(page, "config-field", "latent_dim", "")  # fixed: no longer marked


def test_a_good_form_creates_the_run_with_the_typed_values(stack: Stack, page: Any) -> None:
    open_form(page, stack)
    typed = {"Latent Dim": "3", "Hidden": "16, 8", "Beta": "2.5", "Training steps": "40", "Batch size": "32",
             "Learning rate": "2e-3", "Seed": "7", "Run id (optional)": "typed-form"}
    for label, text in typed.items():
        page.get_by_label(label).fill(text)
    page.locator("#runs-submit").click()
    page.locator("#runs-form-alert", has_text="Training run typed-form").wait_for()
    assert page.locator(".fs-field-error").all_inner_texts() == [""] * page.locator(".fs-field-error").count()
    run = httpx.get(f"{stack.api_url}/api/v1/runs/typed-form").json()
    assert {k: run["config"][k] for k in ("latent_dim", "hidden", "beta", "likelihood")} == {
        "latent_dim": 3, "hidden": [16, 8], "beta": 2.5, "likelihood": "auto"}
    assert {k: run["train"][k] for k in ("steps", "batch_size", "lr", "seed")} == {
        "steps": 40, "batch_size": 32, "lr": 0.002, "seed": 7}
    deadline = time.monotonic() + 120  # leave the shared stack as it was: the run trains (seconds), then goes
    while httpx.get(f"{stack.api_url}/api/v1/runs/typed-form").json()["status"] == "training":
        assert time.monotonic() < deadline, "the run did not finish training"
        time.sleep(0.3)
    gone = httpx.delete(f"{stack.api_url}/api/v1/runs/typed-form", headers={"X-Requested-With": "factorscope"})
    assert gone.status_code == 204, gone.text
