"""A run's config.json that cannot be read (not UTF-8, too large, not JSON, not a run's) makes that run unreadable,
with a message saying why, and never the run list; a run folder copied under a new name is that run, once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_client import AppClient as TestClient

from backend.config import Settings
from backend.main import create_app
from backend.runs import MAX_CONFIG_BYTES, list_runs, read_config, read_record, run_dir
from models import CheckpointError

API = "/api/v1"
RUN = "tiny"

BROKEN: dict[str, tuple[Callable[[Path], object], str]] = {
    "not utf-8": (lambda p: p.write_bytes(b'{"run_id": "\xff\xfe"}'), "is not UTF-8 text"),
    "too large": (lambda p: p.write_bytes(b" " * (MAX_CONFIG_BYTES + 1)), "expected a config.json of at most"),
    "cut short": (lambda p: p.write_text('{"run_id": "tiny"'), "is not valid JSON"),
    "nested too deep": (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "is not valid JSON"),
    "a number too long": (lambda p: p.write_text("1" * 10_000), "is not valid JSON"),
    "a list": (lambda p: p.write_text("[1, 2]"), "holds a JSON list; expected an object"),
    "a field of another type": (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "train": 5})),
                                "field 'train' is int; expected a JSON object"),
    "a version that is not text": (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()),
                                                                      "weights_sha256": 7})), "is not a run's"),
}


@pytest.mark.parametrize("how", list(BROKEN))
def test_an_unreadable_config_breaks_that_run_only(fresh_home: Path, settings_for: Callable[..., Settings],
                                                   problem: Callable[..., Any], how: str) -> None:
    shutil.copytree(fresh_home / "runs" / RUN, fresh_home / "runs" / "other")
    spoil, says = BROKEN[how]
    spoil(run_dir(fresh_home, "other") / "config.json")
    with pytest.raises(CheckpointError, match=says):
        read_record(fresh_home, "other")
    assert [r.run_id for r in list_runs(fresh_home)] == [RUN]
    with TestClient(create_app(settings_for(fresh_home))) as c:
        listed = c.get(f"{API}/runs")
        assert listed.status_code == 200 and [r["run_id"] for r in listed.json()["runs"]] == [RUN]
        problem(c.get(f"{API}/runs/other"), 500, "other", says)
        assert c.get(f"{API}/runs/{RUN}").json()["status"] == "ready"
        assert c.delete(f"{API}/runs/other").status_code == 204  # and it can still be removed


def test_an_oversized_config_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """The size is checked first: a sparse 1 TiB file is refused at once, nothing of it read."""
    path = tmp_path / "config.json"
    with path.open("wb") as f:
        f.truncate(1 << 40)
    with pytest.raises(CheckpointError, match="is 1,099,511,627,776 bytes"):
        read_config(path)


def test_a_copied_run_folder_is_listed_once_under_its_folder_name(fresh_home: Path,
                                                                   settings_for: Callable[..., Settings]) -> None:
    shutil.copytree(fresh_home / "runs" / RUN, fresh_home / "runs" / "copy")
    assert json.loads((fresh_home / "runs" / "copy" / "config.json").read_text())["run_id"] == RUN  # the id inside
    assert sorted(r.run_id for r in list_runs(fresh_home)) == ["copy", RUN]
    with TestClient(create_app(settings_for(fresh_home))) as c:
        ids = [r["run_id"] for r in c.get(f"{API}/runs").json()["runs"]]
        assert sorted(ids) == ["copy", RUN]
        copy = c.get(f"{API}/runs/copy").json()
        assert copy["run_id"] == "copy" and copy["status"] == "ready"
        traversal = c.get(f"{API}/runs/copy/traversal", params={"dims": "0", "steps": 3})
        assert traversal.status_code == 200 and traversal.json()["run_id"] == "copy", traversal.text
