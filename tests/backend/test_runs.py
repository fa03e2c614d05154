"""Run ids name folders, so only plain names get through ``run_dir`` (never a path, never a trailing newline);
a run deleted (or made again) while a job trains it never gets that job's writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.runs import (
    TRASH_PREFIX,
    RunGone,
    RunNotFoundError,
    create_run,
    delete_run,
    list_runs,
    owner_check,
    purge_deleted,
    resume_step,
    run_dir,
    run_nonce,
    train_run,
)
from models import TrainingCancelled
from models.training import Progress, TrainConfig


@pytest.mark.parametrize("bad", ["abc\n", "a/../x", "../etc", "Demo", "", "-x", "a" * 101, "a b", "a\x00"])
def test_run_ids_that_are_not_plain_names_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(RunNotFoundError, match="invalid run id"):
        run_dir(tmp_path, bad)


def test_a_plain_run_id_is_a_folder_under_runs(tmp_path: Path) -> None:
    assert run_dir(tmp_path, "demo-vae_1") == tmp_path / "runs" / "demo-vae_1"
    assert run_dir(tmp_path, "a" * 100).parent == tmp_path / "runs"


def _mid_training(home: Path, run_id: str, at_step: int, act: Callable[[], None]) -> None:
    """Train ``run_id``, calling ``act`` once at the progress report of ``at_step``."""
    def on_progress(p: Progress) -> None:
        if p.step == at_step:
            act()

    train_run(home, run_id, on_progress)


TRAIN = TrainConfig(steps=40, log_every=5, eval_every=20, checkpoint_every=5, seed=0)


def test_a_run_deleted_while_it_trains_stops_and_is_not_written_again(tmp_path: Path) -> None:
    create_run(tmp_path, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", TRAIN, run_id="gone")
    with pytest.raises(RunGone, match="'gone' was deleted"):
        _mid_training(tmp_path, "gone", 10, lambda: delete_run(tmp_path, "gone"))
    assert list((tmp_path / "runs").iterdir()) == []  # no folder made again, no leftovers


def test_a_run_made_again_under_a_deleted_id_never_gets_the_old_jobs_writes(tmp_path: Path) -> None:
    create_run(tmp_path, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", TRAIN, run_id="reuse")

    def replace_it() -> None:
        delete_run(tmp_path, "reuse")
        create_run(tmp_path, "vae", {"latent_dim": 3, "hidden": [8]}, "bars", TRAIN, run_id="reuse")

    with pytest.raises(RunGone):
        _mid_training(tmp_path, "reuse", 10, replace_it)
    folder = tmp_path / "runs" / "reuse"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]  # no checkpoint, log or weights of the old
    assert resume_step(tmp_path, "reuse") == 0
    assert train_run(tmp_path, "reuse").config["latent_dim"] == 3


def test_a_deletion_a_crash_interrupted_is_finished_at_the_next_start(tmp_path: Path) -> None:
    create_run(tmp_path, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", TRAIN, run_id="half")
    (tmp_path / "runs" / "half").rename(tmp_path / "runs" / f"{TRASH_PREFIX}half-0000")
    assert list_runs(tmp_path) == []  # a renamed folder is not a run
    purge_deleted(tmp_path)
    assert list((tmp_path / "runs").iterdir()) == []


def test_the_owner_check_holds_the_run_the_job_read_not_the_one_there_now(tmp_path: Path) -> None:
    create_run(tmp_path, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", TRAIN, run_id="gap")
    read = run_nonce(tmp_path, "gap")  # what a job read when it started
    delete_run(tmp_path, "gap")  # deleted before the job made its check...
    with pytest.raises(RunGone):
        owner_check(tmp_path, "gap", read)()
    create_run(tmp_path, "vae", {"latent_dim": 3, "hidden": [8]}, "bars", TRAIN, run_id="gap")  # ...and made anew
    with pytest.raises(RunGone):
        owner_check(tmp_path, "gap", read)()
    owner_check(tmp_path, "gap", run_nonce(tmp_path, "gap"))()  # the new run's own job may write


def test_a_resumed_run_logs_every_step_once(tmp_path: Path) -> None:
    """Stopped after its checkpoint at step 15 but with steps 16..18 logged, the run resumes at 15: the log keeps
    steps up to 15, then the resumed fit logs 16..40, each once (and a line cut short by the stop goes)."""
    train = TrainConfig(steps=40, log_every=1, eval_every=20, checkpoint_every=15, seed=0)
    create_run(tmp_path, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", train, run_id="again")

    def stop_at_18() -> None:
        log = run_dir(tmp_path, "again") / "train_log.jsonl"
        if log.is_file() and len(log.read_text().splitlines()) >= 18:
            raise TrainingCancelled("stopped at step 18")

    with pytest.raises(TrainingCancelled):
        train_run(tmp_path, "again", check_stop=stop_at_18)
    log = run_dir(tmp_path, "again") / "train_log.jsonl"
    with log.open("a") as f:
        f.write('{"step": 19, "val_lo')  # what a kill mid-write leaves
    assert resume_step(tmp_path, "again") == 15
    train_run(tmp_path, "again")
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert steps == list(range(1, 41))
