"""``factorscope prepare``: small demo runs train here; large ones are queued once as worker jobs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend import cli_prepare
from backend.config import get_settings
from backend.demo_runs import DEMO_RUNS, DemoRun
from backend.jobs import JobStore
from backend.runs import RunRecord, list_runs
from models.datasets import get_dataset
from models.training import TrainConfig

TINY = TrainConfig(steps=20, batch_size=32, eval_every=20, checkpoint_every=0)
RUNS = (DemoRun("small", "vae", "digits", {"latent_dim": 2, "hidden": [16]}, TINY),
        DemoRun("large", "vae", "bars", {"latent_dim": 2, "hidden": [16]}, TINY, background=True))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FACTORSCOPE_HOME", str(tmp_path))
    monkeypatch.setenv("FACTORSCOPE_DATABASE_URL", f"sqlite:///{tmp_path}/jobs.db")
    monkeypatch.setattr(cli_prepare, "DEMO_RUNS", RUNS)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def prepare(foreground: bool = False) -> None:
    assert cli_prepare.run_prepare(argparse.Namespace(foreground=foreground)) == 0


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
    assert all(r.finished and report_version(home, r.run_id) == r.version for r in list_runs(home))
    assert len(list_runs(home)) == 2 and jobs_of(home) == []


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
