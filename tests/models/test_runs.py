"""Run ids name folders, so only plain names get through ``run_dir`` (never a path, never a trailing newline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.runs import RunNotFoundError, run_dir


@pytest.mark.parametrize("bad", ["abc\n", "a/../x", "../etc", "Demo", "", "-x", "a" * 101, "a b", "a\x00"])
def test_run_ids_that_are_not_plain_names_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(RunNotFoundError, match="invalid run id"):
        run_dir(tmp_path, bad)


def test_a_plain_run_id_is_a_folder_under_runs(tmp_path: Path) -> None:
    assert run_dir(tmp_path, "demo-vae_1") == tmp_path / "runs" / "demo-vae_1"
    assert run_dir(tmp_path, "a" * 100).parent == tmp_path / "runs"
