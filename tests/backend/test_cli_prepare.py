"""``factorscope prepare``: small demo runs train here; large ones are queued once as worker jobs; the demo lens is
fitted here once and one labelling session is kept open on it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from app_client import AppClient
from conftest import make_settings

from backend import cli_prepare
from backend.config import get_settings
from backend.demo_runs import DEMO_LENS, DEMO_RUNS, DemoLens, DemoRun
from backend.jobs import JobStore
from backend.labelling import LabelSession, LabelStore
from backend.lenses.create import LensSettings
from backend.main import create_app
from backend.runs import RunRecord, list_runs, read_record
from models.datasets import get_dataset
from models.training import TrainConfig

TINY = TrainConfig(steps=20, batch_size=32, eval_every=20, checkpoint_every=0)
RUNS = (DemoRun("small", "vae", "digits", {"latent_dim": 2, "hidden": [16]}, TINY),
        DemoRun("large", "vae", "bars", {"latent_dim": 2, "hidden": [16]}, TINY, background=True))
TINY_LENS = LensSettings("ilvm", 2, 2, 1.0, ("label", "thickness"), (16,), 500, {"steps": 20, "batch_size": 32,
                                                                               "lr": 3e-3})
LENS = DemoLens("demo-lens", "small", TINY_LENS, n_labels=50, session_attribute="label")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FACTORSCOPE_HOME", str(tmp_path))
    monkeypatch.setenv("FACTORSCOPE_DATABASE_URL", f"sqlite:///{tmp_path}/jobs.db")
    monkeypatch.setattr(cli_prepare, "DEMO_RUNS", RUNS)
    monkeypatch.setattr(cli_prepare, "DEMO_LENS", LENS)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def prepare(foreground: bool = False) -> None:
    assert cli_prepare.run_prepare(argparse.Namespace(foreground=foreground, train_fresh=False)) == 0


def jobs_of(home: Path) -> list[tuple[str, str, str]]:
    """(kind, run_id, state) of every job, oldest first."""
    jobs = JobStore(f"sqlite:///{home}/jobs.db")
    try:
        return [(j.kind, j.payload["run_id"], j.state) for j in reversed(jobs.list())]
    finally:
        jobs.close()


def report_version(home: Path, run_id: str) -> str | None:
    return json.loads((home / "runs" / run_id / "metrics.json").read_text()).get("report", {}).get("version")


def test_small_runs_train_and_evaluate_and_a_large_one_is_queued_once(home: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    prepare()
    runs = {r.run_id: r for r in list_runs(home)}
    assert runs["small"].finished and not runs["large"].finished
    assert report_version(home, "small") == runs["small"].version
    assert jobs_of(home) == [("train", "large", "queued"), ("evaluate", "large", "queued")]
    assert "queued: large" in capsys.readouterr().out
    files = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (home / "runs" / "small").rglob("*") if p.is_file()}
    prepare()  # again: nothing retrained or re-evaluated, no second job
    assert len(jobs_of(home)) == 2
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == files  # no file of the run rewritten
    metrics = home / "runs" / "small" / "metrics.json"  # a report of other weights (made before a retrain)
    stale = json.loads(metrics.read_text())
    stale["report"]["version"] = "0123456789ab"
    metrics.write_text(json.dumps(stale))
    prepare()
    assert report_version(home, "small") == runs["small"].version  # evaluated again, for the current weights


def test_foreground_trains_and_evaluates_every_run(home: Path) -> None:
    prepare(foreground=True)
    runs = [r for r in list_runs(home) if r.run_id != LENS.lens_id]
    assert all(r.finished and report_version(home, r.run_id) == r.version for r in runs)
    assert len(runs) == 2 and jobs_of(home) == []


@pytest.mark.parametrize(("report", "expected"), [({"version": "0123456789ab"}, True), ({"version": "ba98"}, False),
                                                  ({}, False), ("a string", False), (["a", "list"], False)])
def test_only_a_report_object_of_the_current_weights_counts_as_evaluated(home: Path, report: object,
                                                                         expected: bool) -> None:
    """A report that is not a JSON object (a hand-edited file) once crashed prepare; it is evaluated again."""
    record = RunRecord("small", "vae", "digits", "2026-01-01T00:00:00", "0123456789ab", {}, {})
    (home / "runs" / "small").mkdir(parents=True)
    (home / "runs" / "small" / "metrics.json").write_text(json.dumps({"report": report}))
    assert cli_prepare.evaluated(get_settings(), record) is expected


def test_the_demo_has_the_runs_the_dashboard_issue_asks_for() -> None:
    made = {(d.family, d.dataset) for d in DEMO_RUNS}
    assert {("beta_tcvae", "dsprites"), ("vae", "digits"), ("oi_vae", "bars"), ("oi_vae", "breast_cancer")} <= made
    assert [d.run_id for d in DEMO_RUNS if d.background] == ["demo-beta-tcvae-dsprites"]


def test_the_breast_cancer_demo_run_is_informative_and_sparse(tmp_path: Path) -> None:
    """Its settings once left the encoder collapsed (MI 0 in every dim) under a heatmap that looked meaningful."""
    from backend.runs import create_run, load_run, train_run
    from models.evaluation import factor_table

    demo = next(d for d in DEMO_RUNS if d.dataset == "breast_cancer")
    create_run(tmp_path, demo.family, demo.config, demo.dataset, demo.train, run_id=demo.run_id)
    train_run(tmp_path, demo.run_id)
    model, _ = load_run(tmp_path, demo.run_id)
    mi = [d["mi_gaussian"] for d in factor_table(model, get_dataset("breast_cancer"), n=500)["dims"]]
    live = model.latent_to_group() > 0  # (G, K)
    assert sum(mi) > 2.0 and sum(m > 0.2 for m in mi) >= 3, mi
    assert 0 < int(live.sum()) < live.numel()


def sessions_of(home: Path) -> list[LabelSession]:
    """The labelling sessions on the demo lens's base run, newest first."""
    jobs = JobStore(f"sqlite:///{home}/jobs.db")
    try:
        return LabelStore(jobs.engine).list_sessions(LENS.base_run)
    finally:
        jobs.close()


def test_the_demo_lens_is_fitted_once_and_one_session_stays_open_on_it(home: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    prepare()
    lens = read_record(home, LENS.lens_id)
    assert lens.finished and lens.family == "lens" and lens.parent is not None and lens.parent.run_id == "small"
    assert [a["name"] for a in lens.config["attributes"]] == ["label", "thickness"]
    labels = json.loads((home / "runs" / LENS.lens_id / "labels.json").read_text())
    assert labels["sources"] == [{"oracle": {"n": 50, "seed": 0}}] and len(labels["rows"]) == 100
    [session] = sessions_of(home)
    assert (session.state, session.lens_id, session.strategy) == ("open", LENS.lens_id, "bald")
    assert [a.name for a in session.attributes] == ["label"]
    out, ui = capsys.readouterr().out, f"http://127.0.0.1:{get_settings().ui_port}"
    assert f"{ui}/label?session={session.session_id}" in out
    assert f"{ui}/lens?run=small&lens={LENS.lens_id}" in out and f"version {lens.version}" in out
    with AppClient(create_app(make_settings(home))) as client:  # the session serves an item ranked by the lens
        got = client.get(f"/api/v1/label-sessions/{session.session_id}/next", params={"labeller": "ann"})
        assert got.status_code == 200, got.text
        assert 0 <= got.json()["item"] < len(get_dataset("digits"))
    folder = home / "runs" / LENS.lens_id
    files = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}
    prepare()  # again: the lens is not fitted again, no second session
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == files
    assert sessions_of(home) == [session]
    assert f"/label?session={session.session_id}" in capsys.readouterr().out
    jobs = JobStore(f"sqlite:///{home}/jobs.db")
    try:
        LabelStore(jobs.engine).close_session(session.session_id)
    finally:
        jobs.close()
    prepare()  # none open: a new one
    newest, closed = sessions_of(home)
    assert closed.session_id == session.session_id and newest.state == "open" and newest.lens_id == LENS.lens_id


def test_a_failed_lens_fit_is_reported_and_the_lens_made_anew_next_time(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    diverging = replace(LENS, lens=replace(TINY_LENS, train={**TINY_LENS.train, "lr": 10.0}))
    monkeypatch.setattr(cli_prepare, "DEMO_LENS", diverging)
    assert cli_prepare.run_prepare(argparse.Namespace(foreground=False, train_fresh=False)) == 1
    err = capsys.readouterr().err
    assert "the demo lens demo-lens on small failed: the loss became nan" in err and "Traceback" not in err
    assert not read_record(home, LENS.lens_id).finished and sessions_of(home) == []
    monkeypatch.setattr(cli_prepare, "DEMO_LENS", LENS)
    prepare()  # the unfitted lens is made anew from the settings of now, and fitted
    lens = read_record(home, LENS.lens_id)
    assert lens.finished and lens.train["lr"] == 3e-3 and len(sessions_of(home)) == 1


def test_the_demo_lens_reads_digit_class_and_thickness_from_a_run_trained_here() -> None:
    """Seed 001's MNIST attributes, over a demo run that prepare trains in the foreground (so the lens can follow)."""
    base = next(d for d in DEMO_RUNS if d.run_id == DEMO_LENS.base_run)
    assert not base.background and base.dataset in {"digits", "glyphs"}
    assert DEMO_LENS.lens.attributes == ("label", "thickness") and DEMO_LENS.strategy == "bald"
    kinds = {a.name: a.kind for a in get_dataset(base.dataset).attribute_specs()}
    assert kinds["label"] == kinds[DEMO_LENS.session_attribute] == "categorical" and kinds["thickness"] == "continuous"
    assert 100 <= DEMO_LENS.n_labels <= 1000
