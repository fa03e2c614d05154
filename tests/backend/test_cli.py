"""``factorscope train`` as a user runs it: a real subprocess, a real run on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cli import main
from backend.config import get_settings
from backend.runs import list_runs, load_run


def factorscope(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "backend.cli", *args]
    env = {"FACTORSCOPE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False,
                          cwd=Path(__file__).resolve().parents[2])


def test_train_digits_writes_a_loadable_run(home: Path) -> None:
    out = factorscope("train", "--family", "vae", "--dataset", "digits", "--set", "latent_dim=4", "hidden=[64]",
                      "--steps", "60", "--eval-every", "30", "--run-id", "cli-run", home=home)
    assert out.returncode == 0, out.stderr
    assert "run cli-run version" in out.stdout
    assert "step 60/60" in out.stderr  # the progress bar
    folder = home / "runs" / "cli-run"
    for name in ("config.json", "weights.safetensors", "metrics.json", "history.json", "train_log.jsonl"):
        assert (folder / name).is_file(), name
    assert not (folder / "checkpoint").exists()
    header = json.loads((folder / "config.json").read_text())
    assert header["config"]["latent_dim"] == 4 and header["train"]["steps"] == 60 and header["seed"] == 0
    assert header["versions"]["torch"].startswith("2.13.0")
    model, record = load_run(home, "cli-run")
    assert record.version == header["weights_sha256"][:12] and model.latent_dim == 4
    assert [r.run_id for r in list_runs(home)] == ["cli-run"]

    out = factorscope("evaluate", "cli-run", "--seed", "3", home=home)
    assert out.returncode == 0, out.stderr
    assert "report written" in out.stderr  # the progress bar
    summary = json.loads(out.stdout)
    assert summary["metrics"]["mig_dlib"]["variant"] == "mig_dlib" and len(summary["mi_per_dim"]) == 4
    report = json.loads((folder / "metrics.json").read_text())["report"]
    assert report["version"] == record.version and report["log_likelihood"]["samples"] == 100
    assert report["settings"]["seed"] == 3


def test_resume_finishes_an_interrupted_run(home: Path) -> None:
    from backend.runs import create_run, train_run
    from models.training import TrainConfig, TrainingCancelled

    create_run(home, "vae", {"latent_dim": 3, "hidden": [32]}, "bars",
               TrainConfig(steps=40, checkpoint_every=20, eval_every=20), run_id="half")

    def stop(p):
        if p.step == 30:
            raise TrainingCancelled

    try:
        train_run(home, "half", on_progress=stop)
    except TrainingCancelled:
        pass
    log = home / "runs" / "half" / "train_log.jsonl"
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [10, 20, 30]  # checkpoint: 20
    out = factorscope("train", "--resume", "half", home=home)
    assert out.returncode == 0, out.stderr
    assert "half: resuming from its checkpoint at step 20" in out.stderr and "step 40/40" in out.stderr
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert steps == [10, 20, 30, 40]  # steps 21..40 ran again and are logged once: 30 from before the resume went
    assert json.loads((home / "runs" / "half" / "metrics.json").read_text())["training"]["steps"] == 40


def test_bad_input_is_a_clear_error(home: Path) -> None:
    out = factorscope("evaluate", "missing-run", home=home)  # the process: exit status 2, one line, no traceback
    assert out.returncode == 2 and "no run 'missing-run'" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--family", "nope", "--dataset", "digits"], "unknown family 'nope'"),
    (["--family", "vae", "--dataset", "mnist"], "unknown dataset 'mnist'"),
    (["--family", "vae", "--dataset", "digits", "--set", "beta=-2"], "beta must be >= 0"),
    (["--family", "vae", "--dataset", "digits", "--steps", "0"], "steps must be >= 1"),
    (["--family", "vae"], "--family and --dataset are required"),
    (["--resume", "../etc"], "invalid run id"),
])
def test_bad_training_input_is_refused_before_anything_runs(
        args: list[str], message: str, home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The same ``main`` the process runs, called here (a process per case cost 6 s of torch import each)."""
    monkeypatch.setenv("FACTORSCOPE_HOME", str(home))
    get_settings.cache_clear()
    try:
        assert main(["train", *args]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())  # nothing was made


def test_the_progress_bar_writes_a_log_a_few_lines_not_one_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    from backend.progress_bar import advance, progress_bar

    with progress_bar("run-x") as bar:  # stderr is captured: not a terminal
        for step in range(1, 501):
            advance(bar, step / 500, f"step {step}/500")
        assert bar.n == pytest.approx(1.0)
    err = capsys.readouterr().err
    assert err.count("\r") <= 3 and "100%" in err and "step 500/500" in err
