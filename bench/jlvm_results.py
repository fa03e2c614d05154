"""JLVM on glyphs for docs/results.md's lens table (issue 16 item 4; seed 001 Sec. 5 and Table 1): one JLVM run per
(label budget n, seed), its oracle labels the same n items ``reveal(glyphs, attributes, n, seed)`` draws for a lens
with ``{"oracle": {"n": n, "seed": seed}}``, trained once with the project's own run code (``backend.runs``:
config.json + safetensors under ``cache``) and the networks of ``bench/glyphs_base.py``'s base VAE, so JLVM's z and
the lenses' z* sit on the same footing. ``bench/lens_results.py`` calls ``jlvm_codes``; run alone, this prints the
interpretability of the digit class (and the stroke width) on the held-out items the lens table uses
(``backend.lenses.score``: the unlabelled items, up to 2,000, drawn with the seed).

    python bench/jlvm_results.py [--cache var/bench] [--seeds 0] [--labels 100 500 2000] [--steps 6000]
    python bench/jlvm_results.py --cache /tmp/x --labels 100 --steps 60   # a seconds-long smoke run
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from glyphs_base import CONFIG, DATASET, STEPS

from backend.lenses.create import attribute_specs
from backend.lenses.labels import oracle_labels
from backend.lenses.score import N_BINS, held_out, score_one
from backend.runs import create_run, load_run, run_dir, train_run
from models import TrainConfig, get_dataset, quantile_classes
from models.evaluation import encode_dataset

ATTRIBUTES = ("label", "stroke_width")  # glyphs' digit class and stroke width: the seed's digit and thickness
COMPRESSION = 1.0  # the seed's beta in Eq. 13 (tuned by cross-validation there; 1 here, untuned)
SIDE_WEIGHT = 1.0  # the head's log-likelihood as the seed's Eq. 13 weighs it
DEFAULT_CACHE = Path("var/bench")


def jlvm_run_id(n: int, seed: int, steps: int, attributes: Sequence[str]) -> str:
    return f"glyphs-jlvm-{'-'.join(a.replace('_', '') for a in attributes)}-n{n}-s{seed}-{steps}"


def train_jlvm(cache: Path, n: int, seed: int, steps: int, attributes: Sequence[str]) -> str:
    """Create and train (both skipped when already done) the JLVM run under ``cache``; returns its run id."""
    rid = jlvm_run_id(n, seed, steps, attributes)
    if not (run_dir(cache, rid) / "config.json").is_file():
        config = {**CONFIG, "attributes": attribute_specs(get_dataset(DATASET), tuple(attributes)), "n_labels": n,
                  "label_seed": seed, "compression": COMPRESSION, "side_weight": SIDE_WEIGHT}
        train = TrainConfig(steps=steps, batch_size=128, lr=1e-3, seed=seed, eval_every=max(steps // 10, 1),
                            checkpoint_every=max(steps // 4, 1), device="cpu", threads=1)
        create_run(cache, "jlvm", config, DATASET, train, rid)
    train_run(cache, rid)
    return rid


def jlvm_codes(n: int, seed: int, steps: int = STEPS, attributes: Sequence[str] = ATTRIBUTES,
               cache: Path = DEFAULT_CACHE) -> np.ndarray:
    """(N, K) float64: the trained JLVM's encoder mean of every glyphs item, in item order (its interpretable
    code z), training the run first when ``cache`` has not got it."""
    model = load_run(cache, train_jlvm(cache, n, seed, steps, attributes), "cpu")[0]
    dataset = get_dataset(DATASET)
    mu, _ = encode_dataset(model, dataset, np.arange(len(dataset)))
    return mu


def jlvm_scores(n: int, seed: int, steps: int, cache: Path) -> dict[str, Any]:
    """{attribute: ``backend.lenses.score.score_one`` row} of the JLVM's z, trained on the n revealed items and
    tested on the unlabelled ones the lens table uses; the stroke width binned into N_BINS quantile classes."""
    dataset, codes = get_dataset(DATASET), jlvm_codes(n, seed, steps, ATTRIBUTES, cache)
    labels, pool = oracle_labels(dataset, ATTRIBUTES, n, seed), np.arange(len(dataset))
    rows = {}
    for name in ATTRIBUTES:
        train, test = held_out(pool, labels.labels.indices(name), True, seed)
        values = dataset.attribute_values(name, pool)
        if dataset.attribute(name).kind == "continuous":
            values = quantile_classes(values, train, N_BINS)[0]
        rows[name] = score_one(codes, values, train, test, seed)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="artifact store of the JLVM runs")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--labels", type=int, nargs="+", default=[100, 500, 2000])
    p.add_argument("--steps", type=int, default=STEPS)
    args = p.parse_args()
    print("| labels | seed | digit: score (accuracy, dim) | stroke width: score (accuracy, dim) | seconds |\n"
          + "|---" * 5 + "|")
    for seed in args.seeds:
        for n in args.labels:
            start = time.perf_counter()
            rows = jlvm_scores(n, seed, args.steps, args.cache)
            cells = [f"{r['value']:.1%} ({r['accuracy']:.1%}, z{r['dim']})" if r["value"] is not None else r["error"]
                     for r in rows.values()]
            print(f"| {n} | {seed} | {' | '.join(cells)} | {time.perf_counter() - start:.0f} |", flush=True)
    print(f"\nJLVM: {CONFIG}, compression {COMPRESSION}, side_weight {SIDE_WEIGHT}, {args.steps} steps of 128 items")


if __name__ == "__main__":
    main()
