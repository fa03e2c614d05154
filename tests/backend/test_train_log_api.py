"""GET /runs/{id}/log: a run's logged training steps after a step, read while training appends to the log (a
partial last line waits for the next poll), paged by ``limit`` (at most 10,000, in the OpenAPI document), each step
once after a resume; 404 for an unknown run, 422 naming a bad ``after`` or ``limit``."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_client import AppClient as TestClient

from backend.config import Settings
from backend.main import create_app
from backend.runs import create_run, train_run
from backend.services.train_log import read_log
from frontend.api_client import TrainLog
from frontend.components.live_curve import advance, extension, live_figure, new_cursor
from models import Progress, TrainingCancelled
from models.training import TrainConfig

API = "/api/v1"
RUN = "tiny"  # conftest's trained run: vae on digits, 100 steps logged every 10, evaluated every 50


def log_of(client: TestClient, run_id: str, **query: Any) -> dict[str, Any]:
    r = client.get(f"{API}/runs/{run_id}/log", params=query)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_trained_run_answers_every_logged_step_with_its_terms(client: TestClient) -> None:
    log = log_of(client, RUN)
    assert log["step"] == list(range(10, 101, 10)) and log["last_step"] == 100 and not log["more"]
    assert log["done"] and log["status"] == "ready" and log["total_steps"] == 100 and log["eval_every"] == 50
    assert list(log["terms"])[:3] == ["loss", "recon", "kl"]  # as each line lists them
    assert all(len(c) == 10 for c in log["terms"].values())
    assert all(v is not None and v > 0 for v in log["terms"]["loss"])
    times = log["time"]
    assert all(t is not None for t in times) and times == sorted(times)
    assert log["val_loss"][:4] == [None] * 4 and log["val_loss"][4] is not None  # first validation pass at 50
    history = client.get(f"{API}/runs/{RUN}").json()["history"]
    assert log["val_loss"][-1] == pytest.approx(history[-1]["val_loss"])


def test_pages_after_a_step_cover_the_log_once(client: TestClient) -> None:
    assert log_of(client, RUN, after=50)["step"] == [60, 70, 80, 90, 100]
    assert log_of(client, RUN, after=55)["step"] == [60, 70, 80, 90, 100]
    assert log_of(client, RUN, after=100)["step"] == [] and log_of(client, RUN, after=100)["last_step"] is None
    seen, after = [], 0
    while True:
        page = log_of(client, RUN, after=after, limit=3)
        seen += page["step"]
        if not page["more"]:
            break
        assert len(page["step"]) == 3
        after = page["last_step"]
    assert seen == list(range(10, 101, 10))


def test_bad_queries_are_refused_naming_the_field(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.get(f"{API}/runs/nope/log"), 404, "no run 'nope'")
    problem(client.get(f"{API}/runs/{RUN}/log?after=-1"), 422, "query.after")
    problem(client.get(f"{API}/runs/{RUN}/log?after=ten"), 422, "query.after")
    problem(client.get(f"{API}/runs/{RUN}/log?limit=0"), 422, "query.limit")
    problem(client.get(f"{API}/runs/{RUN}/log?limit=10001"), 422, "query.limit")
    problem(client.get(f"{API}/runs/{RUN}/log?since=3"), 422, "query.since")


def test_the_limit_is_documented(client: TestClient) -> None:
    params = client.get("/openapi.json").json()["paths"][f"{API}/runs/{{run_id}}/log"]["get"]["parameters"]
    limit = next(p for p in params if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10_000 and limit["schema"]["minimum"] == 1


def test_the_log_grows_while_the_run_trains(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    """Polled from the progress callback of a real training: each answer ends at the step just logged, not done;
    the dashboard's curve, extended by each answer, ends equal to the curve drawn from the whole log at once."""
    train = TrainConfig(steps=30, log_every=2, eval_every=10, checkpoint_every=0, seed=0)
    create_run(fresh_home, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", train, run_id="live")
    polled: list[dict[str, Any]] = []
    cursor = new_cursor("live", ["loss", "kl"])
    grown: list[tuple[list[float], list[float]]] = [([], []), ([], []), ([], [])]  # loss, kl, evaluations
    with TestClient(create_app(settings_for(fresh_home))) as c:
        def poll(p: Progress) -> None:
            nonlocal cursor
            polled.append(log_of(c, "live", after=cursor["after"]))
            assert polled[-1]["step"] == [p.step] and not polled[-1]["done"]
            page = TrainLog.model_validate(polled[-1])
            data, traces = extension(page, cursor) or [{}, []]
            for i in traces:
                grown[i][0].extend(data["x"][i])
                grown[i][1].extend(data["y"][i])
            cursor = advance(cursor, page)

        train_run(fresh_home, "live", on_progress=poll)
        final = log_of(c, "live")
    assert [page["status"] for page in polled] == ["training"] * 15
    assert final["done"] and final["status"] == "ready" and final["step"] == list(range(2, 31, 2))
    whole = live_figure(TrainLog.model_validate(final), ["loss", "kl"])
    assert [(list(t.x), list(t.y)) for t in whole.data] == grown and len(grown[0][0]) == 15
    assert grown[2][0] == [10, 20, 30]  # the three validation passes, at their steps


def test_a_resumed_run_answers_each_step_once(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    """Stopped at step 18 after its checkpoint at 15, resumed: steps 16..18 are logged again, once."""
    train = TrainConfig(steps=40, log_every=1, eval_every=20, checkpoint_every=15, seed=0)
    create_run(fresh_home, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", train, run_id="again")

    def stop_at_18(p: Progress) -> None:
        if p.step == 18:
            raise TrainingCancelled("stopped at step 18")

    with pytest.raises(TrainingCancelled):
        train_run(fresh_home, "again", on_progress=stop_at_18)
    with TestClient(create_app(settings_for(fresh_home))) as c:
        assert log_of(c, "again")["step"] == list(range(1, 19))
        train_run(fresh_home, "again")
        assert log_of(c, "again")["step"] == list(range(1, 41))
        assert log_of(c, "again", after=17, limit=2)["step"] == [18, 19]


def write_log(path: Path, steps: list[int], tail: str = "") -> None:
    path.write_text("".join(json.dumps({"step": s, "time": 1.0 + s, "val_loss": None, "loss": s / 2}) + "\n"
                            for s in steps) + tail)


def test_a_partial_last_line_waits_for_the_next_read(tmp_path: Path) -> None:
    log = tmp_path / "train_log.jsonl"
    write_log(log, [1, 2, 3], tail='{"step": 4, "time": 5.0, "lo')
    page = read_log(log, 0, 100)
    assert page.step == [1, 2, 3] and page.terms == {"loss": [0.5, 1.0, 1.5]} and not page.more
    with log.open("a") as f:
        f.write('ss": 2.0}\n')
    assert read_log(log, 3, 100).step == [4]
    assert read_log(tmp_path / "missing.jsonl", 0, 10).step == []  # not written yet: an empty page


def test_a_term_first_logged_later_is_null_before(tmp_path: Path) -> None:
    log = tmp_path / "train_log.jsonl"
    log.write_text('{"step": 1, "loss": 1.0}\n{"step": 2, "loss": 0.5, "tc": 0.2}\n{"step": 3, "loss": NaN}\n')
    page = read_log(log, 0, 10)
    assert page.terms == {"loss": [1.0, 0.5, None], "tc": [None, 0.2, None]} and page.time == [None] * 3


def test_the_search_matches_a_scan_for_every_after(tmp_path: Path) -> None:
    """Uneven steps, an unreadable line in the middle: the binary search finds what a linear scan finds."""
    rng = random.Random(0)
    steps = sorted(rng.sample(range(1, 5000), 300))
    log = tmp_path / "train_log.jsonl"
    write_log(log, steps[:150])
    with log.open("a") as f:
        f.write("not json\n")
    with log.open("a") as f:
        f.write("".join(json.dumps({"step": s, "loss": 1.0}) + "\n" for s in steps[150:]))
    for after in [0, *rng.sample(range(5001), 200), steps[0], steps[149], steps[150], steps[-1]]:
        expected = [s for s in steps if s > after][:7]
        page = read_log(log, after, 7)
        assert page.step == expected, after
        assert page.more == (len([s for s in steps if s > after]) > 7)
