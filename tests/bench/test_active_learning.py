"""bench/active_learning.py (issue 17, seed 001 Fig. 8): its summary maths with known answers, its split and
acquisition step on a real lens over glyphs' attributes, and the --quick smoke run end to end, as a user runs it."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scipy import stats

from models import get_dataset

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def al() -> Iterator[ModuleType]:
    """The bench module, imported with bench/ on the path (it imports its sibling glyphs_base)."""
    sys.path.insert(0, str(BENCH))
    try:
        import active_learning

        yield active_learning
    finally:
        sys.path.remove(str(BENCH))


def test_area_is_the_mean_over_the_label_range(al: ModuleType) -> None:
    counts = np.array([50, 100, 200])
    curves = np.array([[0.4, 0.4, 0.4], [0.0, 0.25, 0.75]])  # constant; linear 0 -> 0.75 over 50..200
    np.testing.assert_allclose(al.area(curves, counts), [0.4, 0.375])


def test_interval_is_the_t_interval_of_the_mean(al: ModuleType) -> None:
    mean, low, high = al.interval(np.array([[0.0, 0.5], [2.0, 0.5]]))  # 2 seeds, 2 points
    half = stats.t.ppf(0.975, 1) * np.sqrt(2.0) / np.sqrt(2.0)  # 12.71 x sd / sqrt(n)
    np.testing.assert_allclose(mean, [1.0, 0.5])
    np.testing.assert_allclose(low, [1.0 - half, 0.5])
    np.testing.assert_allclose(high, [1.0 + half, 0.5])


def test_split_fixes_the_test_items_and_seeds_a_balanced_start(al: ModuleType) -> None:
    dataset = get_dataset("glyphs")
    a, b = al.split(dataset, al.FULL, 0), al.split(dataset, al.FULL, 1)
    np.testing.assert_array_equal(a.test, b.test)
    assert len(a.test) == al.FULL.test and np.intersect1d(a.test, a.candidates).size == 0
    assert len(a.test) + len(a.candidates) == len(dataset)
    digits = dataset.attribute_values("label", a.candidates[a.start])
    np.testing.assert_array_equal(np.bincount(digits, minlength=10), np.full(10, al.FULL.start // 10))
    assert len(np.unique(a.start)) == al.FULL.start and not np.array_equal(a.start, b.start)


@pytest.mark.parametrize("attribute", ["label", "stroke_width"])
def test_each_strategy_acquires_a_batch_of_new_distinct_items(al: ModuleType, attribute: str) -> None:
    dataset = get_dataset("glyphs")
    base = np.random.default_rng(0).normal(size=(len(dataset), 3))  # codes of the right shape; values irrelevant
    p = al.problem(dataset, base, attribute, 0, al.QUICK)
    lens = al.new_lens(p)
    al.fit(lens, p, p.parts.start, 3, 0)
    picks = {}
    for strategy in al.STRATEGIES:
        picked = al.acquire(lens, p, strategy, p.parts.start, 7)
        assert len(np.unique(picked)) == al.QUICK.step and not np.isin(picked, p.parts.start).any()
        picks[strategy] = picked
    assert not np.array_equal(al.acquire(lens, p, "random", p.parts.start, 8), picks["random"])
    assert 0 < al.score(lens, p, p.parts.start)["score"] <= 1


def test_collect_keeps_the_label_counts_every_seed_reached(al: ModuleType, tmp_path: Path) -> None:
    budget, point = al.QUICK, {"score": 0.5, "accuracy": 0.5}
    for seed, reached in ((0, 2), (1, 1)):  # seed 1 was cut short after its first scored count
        curves = {s: [point] * reached for s in al.STRATEGIES}
        al.unit_file(tmp_path, "label", seed).write_text(json.dumps(
            {"budget": dataclasses.asdict(budget), "counts": budget.scored[:reached].tolist(), "curves": curves}))
    scores, counts = al.collect(tmp_path, "label", [0, 1, 2], budget, "score")
    assert counts.tolist() == [20] and scores["bald"].shape == (2, 1)
    assert al.finished(al.load_unit(al.unit_file(tmp_path, "label", 0), budget), budget)
    assert not al.finished(al.load_unit(al.unit_file(tmp_path, "label", 1), budget), budget)
    assert al.load_unit(al.unit_file(tmp_path, "label", 0), al.FULL) is None  # another budget's file is not read


@pytest.mark.slow
def test_quick_run_writes_curves_tables_and_figure(tmp_path: Path) -> None:
    out, figure = tmp_path / "al", tmp_path / "al.png"
    args = [sys.executable, str(BENCH / "active_learning.py"), "--quick", "--cache", str(tmp_path / "cache"),
            "--out", str(out), "--figure", str(figure), "--seeds", "0", "1"]
    done = subprocess.run(args, check=False, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for attribute in ("label", "stroke_width"):
        for seed in (0, 1):
            saved = json.loads((out / f"{attribute}-s{seed}.json").read_text())
            assert saved["counts"] == [20, 30] and set(saved["curves"]) == {"bald", "max_entropy", "random",
                                                                             "bald_batch"}
            firsts = {json.dumps(c[0]) for c in saved["curves"].values()}
            assert len(firsts) == 1  # every strategy starts from the same first fit
            assert all(0 < point["score"] <= 1 and 0 <= point["accuracy"] <= 1
                       for c in saved["curves"].values() for point in c)
        assert f"{attribute}: interpretability score, % (mean [95% interval] over 2 seeds)" in done.stdout
    assert "| minus random, paired [95%] | " in done.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = subprocess.run([*args, "--report-only"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and done.stdout.split("budget:")[1][:2000] in again.stdout
