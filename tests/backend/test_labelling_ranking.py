"""Ranking a pool (backend/labelling/ranking.py, ranking_files.py) on a small untrained lens: every strategy orders
every item once; BALD and max entropy best first; random seeded and unscored; bald_batch's head spread out (a known
answer on two clusters); the predictive per item; a ranking's file reads back equal, and the newest one is found."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from backend.labelling.ranking import diverse_head, rank_pool
from backend.labelling.ranking_files import load_ranking, newest_saved, ranking_name, save_ranking
from models import AttributeSpec, Lens, bald
from models.lens.config import LensConfig

N = 300


@pytest.fixture(scope="module")
def lens() -> Lens:
    torch.manual_seed(0)
    specs = (AttributeSpec.categorical("label", 4), AttributeSpec.continuous("width", 2.0, 0.5))
    return Lens(LensConfig(input_dim=5, attributes=specs, k=3, flow_length=2, recognition_hidden=(16,),
                           generative_hidden=(16,), side_hidden=(16,))).eval()


@pytest.fixture(scope="module")
def z() -> torch.Tensor:
    return torch.randn(N, 5, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("strategy", ["bald", "max_entropy", "random", "bald_batch"])
def test_every_strategy_orders_every_item_once(lens: Lens, z: torch.Tensor, strategy: str) -> None:
    ranking = rank_pool(lens, z, "label", strategy, "v1", head=10, samples=8)
    assert sorted(ranking.ranked.tolist()) == list(range(N))
    assert ranking.predictive["probs"].shape == (N, 4)
    assert np.allclose(ranking.predictive["probs"].sum(1), 1.0, atol=1e-5)
    if strategy == "random":
        assert ranking.scores is None
        assert np.array_equal(ranking.ranked, rank_pool(lens, z, "label", strategy, "v1", samples=8).ranked)
        return
    assert ranking.scores is not None and np.all(ranking.scores >= 0)
    if strategy != "bald_batch":
        assert np.all(np.diff(ranking.scores) <= 0)  # best first


def test_the_bald_scores_are_those_of_the_seeded_samples(lens: Lens, z: torch.Tensor) -> None:
    """The same seed gives the same samples: the ranking's scores are bald() of probs drawn the same way."""
    ranking = rank_pool(lens, z, "label", "bald", "v1", samples=8, seed=3)
    with torch.inference_mode():
        probs = lens.predict_attributes(lens.sample_z_star(z, 8, generator=torch.Generator().manual_seed(3)))["label"]
    expected = bald(probs.double().numpy())
    assert np.allclose(ranking.scores, expected[ranking.ranked], atol=1e-6)


def test_a_continuous_attribute_has_a_mean_and_sd(lens: Lens, z: torch.Tensor) -> None:
    ranking = rank_pool(lens, z, "width", "bald", "v1", samples=8)
    assert ranking.predictive["mean"].shape == (N,) and np.all(ranking.predictive["sd"] > 0)
    assert ranking.scores is not None and np.all(np.diff(ranking.scores) <= 0)


def test_the_diverse_head_skips_near_duplicates() -> None:
    """Items 0 and 1 sit together and score best; a head of 2 takes item 0, then item 2 far away, not item 1."""
    scores = np.array([1.0, 0.99, 0.5, 0.1])
    codes = np.array([[0.0], [0.01], [5.0], [9.0]])
    ranked = np.argsort(-scores)
    assert diverse_head(scores, codes, ranked, 2).tolist() == [0, 2, 1, 3]
    assert diverse_head(scores, codes, ranked, 1).tolist() == [0, 1, 2, 3]


def test_a_ranking_file_reads_back_and_the_newest_is_found(lens: Lens, z: torch.Tensor, tmp_path: Path) -> None:
    old = rank_pool(lens, z, "label", "bald", "v1", samples=4)
    new = rank_pool(lens, z, "label", "bald", "v2", samples=4, seed=5)
    name = ranking_name("label", "bald", 1)
    first = save_ranking(tmp_path, old, name)
    os.utime(first, ns=(1, 1))  # written long ago
    save_ranking(tmp_path, new, name)
    back = load_ranking(first)
    assert (back.lens_version, back.attribute, back.strategy) == ("v1", "label", "bald")
    assert np.array_equal(back.ranked, old.ranked) and np.array_equal(back.scores, old.scores)
    assert np.array_equal(back.predictive["probs"], old.predictive["probs"])
    newest = newest_saved(tmp_path, name)
    assert newest is not None and load_ranking(newest).lens_version == "v2"
    assert newest_saved(tmp_path, ranking_name("label", "bald_batch", 50)) is None
