"""docs/results.md's active-learning curves (issue 17; seed 001 Fig. 8) with a simulated oracle: on glyphs, how
interpretable a lens's z* becomes per label spent when the labels are chosen by BALD (the seed's MI), max entropy,
at random, or by the batch-aware choice (BALD with a diversity penalty in z*).

For each seed and each attribute (the digit class; separately, the stroke width), one ILVM lens over the base VAE of
``bench/glyphs_base.py`` is fitted from scratch on ``start`` oracle labels (``per_class`` of each digit, drawn with
the seed); then every strategy, from that same first fit, repeats: rank the unlabelled candidates with the product's
``backend.labelling.ranking.rank_pool`` (M draws of z* per item, ``models.acquisition``), reveal the top ``step``
labels, refit the lens from its last weights (a fresh Adam, as the product's refit) for ``refit_steps`` steps. After
the first fit and every ``score_every`` labels the lens's z* is scored on a fixed held-out test set (the same items
for every seed and strategy) with the product's score (``backend.lenses.score.score_one``: seed 001's
interpretability metric; the stroke width binned into 5 quantile classes of its labelled values), trained on the
labelled items. (Scoring every 100 labels, not every round, halves the CPU time: the metric's Platt scaling, 5-fold
x one sigmoid fit per class, costs more than a refit.)

Per point: the mean over seeds and its 95% t interval; per curve: the area under it divided by the label range (the
mean score over the range). Results are written per (attribute, seed) to ``--out`` after every scored count (all
four strategies advance together, so a run cut short leaves comparable curves up to some label count; the report
uses the counts every seed reached); a rerun with the same budget skips the finished ones and restarts the others.

    python bench/active_learning.py [--cache var/bench] [--seeds 0 1 2 3 4] [--attributes label stroke_width]
        [--out var/bench/active_learning] [--figure docs/figures/active_learning.png] [--no-report | --report-only]
    python bench/active_learning.py --quick --cache /tmp/x --out /tmp/x/al --figure /tmp/x/al.png --seeds 0 1
        # a smoke run: about a minute on an idle 2-core CPU (it trains a 60-step base VAE first)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from glyphs_base import base_representation
from PIL import Image, ImageDraw, ImageFont
from scipy import stats
from torch import Tensor

from backend.labelling.ranking import rank_pool
from backend.lenses.create import attribute_spec
from backend.lenses.score import N_BINS, score_one
from backend.png import encode_png
from models import Dataset, Lens, fit_lens, quantile_classes
from models.lens import LensConfig

ATTRIBUTES = ("label", "stroke_width")  # the seed's MNIST attributes: digit and thickness
STRATEGIES = ("bald", "max_entropy", "random", "bald_batch")
NAMES = {"bald": "BALD (MI)", "max_entropy": "max entropy", "random": "random", "bald_batch": "batch-aware BALD"}
TEST_SEED = 20260  # the held-out items are the same for every seed and strategy
TABLE_EVERY = 100  # the tables show every 100 labels (and the first and last counts)


@dataclass(frozen=True)
class Budget:
    base_steps: int  # the base VAE's training steps (bench/glyphs_base.py, seed 0)
    start: int  # labels before the first fit (per_class of each digit x 10 digits)
    step: int  # labels acquired per round
    stop: int  # labels after the last round
    score_every: int  # the lens is scored at ``start`` and every ``score_every`` labels (a multiple of ``step``)
    test: int  # held-out items; every other item is a candidate
    first_steps: int  # the first fit's Adam steps (from scratch)
    refit_steps: int  # each refit's Adam steps (from the last weights)
    batch_size: int
    k: int  # dim of z*
    hidden: tuple[int, ...]
    samples: int  # M draws of z* per candidate for the acquisition scores

    @property
    def counts(self) -> np.ndarray:
        """(R,) labels after each round: start, start + step, ..., stop."""
        return np.arange(self.start, self.stop + 1, self.step)

    @property
    def scored(self) -> np.ndarray:
        """(Q,) the label counts the lens is scored at: start, then every score_every, and stop."""
        counts = self.counts
        return counts[(counts == self.start) | (counts % self.score_every == 0) | (counts == self.stop)]


FULL = Budget(base_steps=2000, start=50, step=50, stop=1000, score_every=100, test=1250, first_steps=600,
              refit_steps=60, batch_size=32, k=8, hidden=(64, 64), samples=20)
QUICK = Budget(base_steps=60, start=20, step=10, stop=30, score_every=10, test=300, first_steps=20, refit_steps=5,
               batch_size=32, k=2, hidden=(16,), samples=4)


@dataclass(frozen=True)
class Split:
    test: np.ndarray  # (T,) held-out item indices
    candidates: np.ndarray  # (P,) every other item, sorted: the lens trains on these, labelled or not
    start: np.ndarray  # (L0,) positions into candidates of the first labels


def split(dataset: Dataset, budget: Budget, seed: int) -> Split:
    """The fixed test items (drawn with TEST_SEED) and, with ``seed``, start // 10 first labels of each digit."""
    test = np.sort(np.random.default_rng(TEST_SEED).choice(len(dataset), budget.test, replace=False))
    candidates = np.setdiff1d(np.arange(len(dataset)), test)
    digits, rng = dataset.attribute_values("label", candidates), np.random.default_rng([seed, 2])
    per_class = budget.start // 10
    start = np.concatenate([rng.choice(np.flatnonzero(digits == d), per_class, replace=False) for d in range(10)])
    return Split(test, candidates, np.sort(start))


@dataclass(frozen=True)
class Problem:
    """One attribute and seed: base (N, D) codes of every item, the split, the candidates' z (P, D) and values (P,)."""

    dataset: Dataset
    base: np.ndarray
    attribute: str
    seed: int
    budget: Budget
    parts: Split
    z: Tensor
    values: Tensor


def problem(dataset: Dataset, base: np.ndarray, attribute: str, seed: int, budget: Budget) -> Problem:
    parts = split(dataset, budget, seed)
    truth = dataset.attribute_values(attribute, parts.candidates)
    values = torch.from_numpy(truth.astype(np.float32) if truth.dtype.kind == "f" else truth)
    return Problem(dataset, base, attribute, seed, budget, parts, torch.from_numpy(base[parts.candidates]).float(),
                   values)


def new_lens(p: Problem) -> Lens:
    """An ILVM lens over the base codes with the problem's one attribute, seeded initial weights."""
    torch.manual_seed(p.seed)
    return Lens(LensConfig(input_dim=p.base.shape[1], attributes=(attribute_spec(p.dataset.attribute(p.attribute)),),
                           k=p.budget.k, recognition_hidden=p.budget.hidden, generative_hidden=p.budget.hidden,
                           side_hidden=p.budget.hidden[:1]))


def fit(lens: Lens, p: Problem, labelled: np.ndarray, steps: int, seed: int) -> None:
    """``steps`` Adam steps of ``lens`` on every candidate, the attribute revealed at ``labelled`` (positions)."""
    mask = torch.zeros(p.z.shape[0], dtype=torch.bool)
    mask[torch.from_numpy(labelled)] = True
    fit_lens(lens, p.z, {p.attribute: p.values}, {p.attribute: mask}, steps, p.budget.batch_size, seed=seed)
    lens.eval()


@torch.inference_mode()
def score(lens: Lens, p: Problem, labelled: np.ndarray) -> dict[str, float]:
    """{"score", "accuracy"} of the lens's z* (mean path), trained on the ``labelled`` candidates, tested on the
    held-out items."""
    every = np.concatenate([p.parts.candidates[labelled], p.parts.test])
    codes = lens.encode(torch.from_numpy(p.base[every]).float()).double().numpy()  # (L + T, k)
    values = p.dataset.attribute_values(p.attribute, every)
    train, test = np.arange(len(labelled)), np.arange(len(labelled), len(every))
    classes = quantile_classes(values, train, N_BINS)[0] if values.dtype.kind == "f" else values
    row = score_one(codes, classes, train, test, p.seed)
    if row["value"] is None:
        raise RuntimeError(f"{p.attribute} with {len(labelled)} labels cannot be scored: {row['error']}")
    return {"score": row["value"], "accuracy": row["accuracy"]}


def acquire(lens: Lens, p: Problem, strategy: str, labelled: np.ndarray, seed: int) -> np.ndarray:
    """The ``step`` candidates (positions) the strategy picks among the unlabelled ones, by the product's ranking."""
    unlabelled = np.setdiff1d(np.arange(p.z.shape[0]), labelled)
    ranking = rank_pool(lens, p.z[torch.from_numpy(unlabelled)], p.attribute, strategy, "bench", head=p.budget.step,
                        samples=p.budget.samples, seed=seed)
    return unlabelled[ranking.ranked[:p.budget.step]]


SaveFn = Callable[[dict[str, list[dict[str, float]]]], None]


def run_one(p: Problem, save: SaveFn) -> dict[str, list[dict[str, float]]]:
    """{strategy: [{"score", "accuracy"} per scored label count]} for one attribute and seed.

    Every strategy starts from the same first fit; the strategies advance round by round together (each lens's
    weights kept between its refits) and ``save`` gets the curves so far after every scored count, so a run cut
    short still leaves every strategy's curve up to the same label count."""
    lens = new_lens(p)
    fit(lens, p, p.parts.start, p.budget.first_steps, p.seed)
    first = score(lens, p, p.parts.start)
    states = {s: {k: v.clone() for k, v in lens.state_dict().items()} for s in STRATEGIES}
    labelled = {s: p.parts.start.copy() for s in STRATEGIES}
    curves: dict[str, list[dict[str, float]]] = {s: [first] for s in STRATEGIES}
    for r, n in enumerate(p.budget.counts[1:], start=1):
        round_seed = p.seed * 1000 + r
        for strategy in STRATEGIES:
            lens.load_state_dict(states[strategy])
            labelled[strategy] = np.concatenate([labelled[strategy],
                                                 acquire(lens, p, strategy, labelled[strategy], round_seed)])
            fit(lens, p, labelled[strategy], p.budget.refit_steps, round_seed)
            states[strategy] = {k: v.clone() for k, v in lens.state_dict().items()}
            if n in p.budget.scored:
                curves[strategy].append(score(lens, p, labelled[strategy]))
        if n in p.budget.scored:
            save(curves)
    return curves


def unit_file(out: Path, attribute: str, seed: int) -> Path:
    return out / f"{attribute}-s{seed}.json"


def load_unit(path: Path, budget: Budget) -> dict[str, Any] | None:
    """An (attribute, seed) result file made with ``budget`` (finished or not: see ``finished``), else None."""
    if not path.is_file():
        return None
    saved = json.loads(path.read_text())
    return saved if saved["budget"] == dataclasses.asdict(budget) | {"hidden": list(budget.hidden)} else None


def finished(unit: dict[str, Any] | None, budget: Budget) -> bool:
    return unit is not None and len(unit["counts"]) == len(budget.scored)


def run_units(cache: Path, out: Path, attributes: list[str], seeds: list[int], budget: Budget) -> None:
    """Run every (attribute, seed) not finished in ``out`` (from the start), saving after every scored count."""
    base, dataset = base_representation(cache, budget.base_steps, 0)
    out.mkdir(parents=True, exist_ok=True)
    for attribute in attributes:
        for seed in seeds:
            path = unit_file(out, attribute, seed)
            if finished(load_unit(path, budget), budget):
                continue
            start = time.perf_counter()

            def save(curves: dict[str, list[dict[str, float]]], path: Path = path, attribute: str = attribute,
                     seed: int = seed, start: float = start) -> None:
                done = len(curves[STRATEGIES[0]])
                path.write_text(json.dumps({"budget": dataclasses.asdict(budget), "attribute": attribute,
                                            "seed": seed, "counts": budget.scored[:done].tolist(), "curves": curves,
                                            "elapsed_s": time.perf_counter() - start}))
                print(f"  {attribute} seed {seed}: {budget.scored[done - 1]} labels after "
                      f"{time.perf_counter() - start:.0f} s", flush=True)

            curves = run_one(problem(dataset, base, attribute, seed, budget), save)
            last = {s: round(c[-1]["score"], 3) for s, c in curves.items()}
            print(f"{attribute} seed {seed}: done in {time.perf_counter() - start:.0f} s; score at {budget.stop} "
                  f"labels {last}", flush=True)


def collect(out: Path, attribute: str, seeds: list[int], budget: Budget, key: str
            ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """({strategy: (S, Q) ``key`` ("score" or "accuracy") per seed and scored count}, the counts (Q,)) over the
    seeds with a result file, up to the last count that every one of them reached."""
    units = [u for u in (load_unit(unit_file(out, attribute, s), budget) for s in seeds) if u is not None]
    reached = min((len(u["counts"]) for u in units), default=0)
    curves = {s: np.array([[point[key] for point in u["curves"][s][:reached]] for u in units]) for s in STRATEGIES}
    return curves, budget.scored[:reached]


def interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """values (S, ...) over S seeds -> (mean, low, high) (...) of the 95% t interval of the mean (S >= 2)."""
    mean = values.mean(0)
    half = stats.t.ppf(0.975, values.shape[0] - 1) * values.std(0, ddof=1) / np.sqrt(values.shape[0])
    return mean, mean - half, mean + half


def area(curves: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """curves (..., R) over label counts (R,) -> (...) trapezoid area divided by the label range."""
    widths = np.diff(counts)
    return ((curves[..., 1:] + curves[..., :-1]) / 2 * widths).sum(-1) / (counts[-1] - counts[0])


def cell(mean: float, low: float, high: float, scale: float = 100.0) -> str:
    return f"{scale * mean:.1f} [{scale * low:.1f}, {scale * high:.1f}]"


def tables(curves: dict[str, np.ndarray], counts: np.ndarray, every: int) -> str:
    """Markdown: the mean [95% interval] (%) per label count (the first, the last and every ``every`` labels) and
    strategy, then each strategy's area under the curve and its paired difference from random."""
    lines = ["| labels | " + " | ".join(NAMES[s] for s in STRATEGIES) + " |", "|---" * (len(STRATEGIES) + 1) + "|"]
    for r, n in enumerate(counts):
        if r in (0, len(counts) - 1) or n % every == 0:
            lines.append(f"| {n} | " + " | ".join(cell(*(float(v[r]) for v in interval(curves[s])))
                                                  for s in STRATEGIES) + " |")
    areas = {s: area(curves[s], counts) for s in STRATEGIES}  # (S,) each
    lines += ["", "| area under the curve / label range | " + " | ".join(NAMES[s] for s in STRATEGIES) + " |",
              "|---" * (len(STRATEGIES) + 1) + "|",
              "| mean [95%] | " + " | ".join(cell(*map(float, interval(areas[s]))) for s in STRATEGIES) + " |",
              "| minus random, paired [95%] | " + " | ".join(
                  cell(*map(float, interval(areas[s] - areas["random"]))) for s in STRATEGIES) + " |"]
    return "\n".join(lines)


COLOURS = {"bald": (200, 40, 40), "max_entropy": (40, 90, 200), "random": (90, 90, 90), "bald_batch": (20, 150, 60)}
PANEL = (560, 400)  # pixels per attribute panel
MARGIN = (70, 30, 20, 60)  # left, top, right, bottom


def figure(curves: dict[str, tuple[dict[str, np.ndarray], np.ndarray]]) -> np.ndarray:
    """One panel per attribute ({attribute: ({strategy: (S, Q) scores}, counts (Q,))}): mean score (%) vs labels per
    strategy, its 95% band shaded; (H, W, 3) uint8."""
    image = Image.new("RGB", (PANEL[0] * len(curves), PANEL[1] + 50), (255, 255, 255))
    draw = ImageDraw.Draw(image, "RGBA")
    font = ImageFont.load_default(size=14)
    for i, (attribute, (by_strategy, counts)) in enumerate(curves.items()):
        panel(draw, font, i * PANEL[0], attribute, by_strategy, counts)
    for j, strategy in enumerate(STRATEGIES):  # the legend, two by two under the first panel
        x, y = MARGIN[0] + (j % 2) * 220, PANEL[1] + 4 + (j // 2) * 22
        draw.line([(x, y + 8), (x + 24, y + 8)], fill=COLOURS[strategy], width=3)
        draw.text((x + 30, y), NAMES[strategy], fill=(0, 0, 0), font=font)
    return np.asarray(image)


def panel(draw: ImageDraw.ImageDraw, font: Any, left: int, attribute: str, by_strategy: dict[str, np.ndarray],
          counts: np.ndarray) -> None:
    """One attribute's axes, bands and mean curves, drawn at x offset ``left``."""
    bands = {s: tuple(np.clip(b, 0.0, 1.0) for b in interval(v)) for s, v in by_strategy.items()}  # scores in (0, 1]
    low = min(float(b[1].min()) for b in bands.values())
    high = max(float(b[2].max()) for b in bands.values())
    x0, y0, x1, y1 = left + MARGIN[0], MARGIN[1], left + PANEL[0] - MARGIN[2], PANEL[1] - MARGIN[3]

    def xy(n: np.ndarray, v: np.ndarray) -> list[tuple[float, float]]:
        xs = x0 + (n - counts[0]) / (counts[-1] - counts[0]) * (x1 - x0)
        ys = y1 - (v - low) / max(high - low, 1e-9) * (y1 - y0)
        return list(zip(xs.tolist(), ys.tolist(), strict=True))

    draw.rectangle([x0, y0, x1, y1], outline=(0, 0, 0))
    for tick in np.linspace(low, high, 5):
        y = xy(counts[:1], np.array([tick]))[0][1]
        draw.line([(x0 - 4, y), (x0, y)], fill=(0, 0, 0))
        draw.text((x0 - 44, y - 8), f"{100 * tick:.1f}", fill=(0, 0, 0), font=font)
    for n in counts[:: max(len(counts) // 5, 1)]:
        x = xy(np.array([n]), np.array([low]))[0][0]
        draw.line([(x, y1), (x, y1 + 4)], fill=(0, 0, 0))
        draw.text((x - 12, y1 + 6), str(int(n)), fill=(0, 0, 0), font=font)
    draw.text((x0, 6), f"{attribute}: interpretability score (%) vs labels", fill=(0, 0, 0), font=font)
    for strategy in STRATEGIES:
        mean, lo, hi = bands[strategy]
        draw.polygon(xy(counts, hi) + xy(counts[::-1], lo[::-1]), fill=COLOURS[strategy] + (35,))
        draw.line(xy(counts, mean), fill=COLOURS[strategy], width=2)


def report(out: Path, seeds: list[int], budget: Budget, figure_path: Path | None) -> None:
    """Print the tables of each attribute with 2 or more seeds over 2 or more counts, and draw their figure."""
    shown = {}
    print(f"budget: {budget}")
    for attribute in ATTRIBUTES:
        scores, counts = collect(out, attribute, seeds, budget, "score")
        n_seeds = len(scores["random"])
        print(f"\n{attribute}: {n_seeds} seeds with results, every one up to {counts[-1] if len(counts) else 0} labels")
        if n_seeds < 2 or len(counts) < 2:
            continue
        shown[attribute] = (scores, counts)
        print(f"{attribute}: interpretability score, % (mean [95% interval] over {n_seeds} seeds)")
        print(tables(scores, counts, TABLE_EVERY))
        print(f"\n{attribute}: accuracy, %")
        print(tables(collect(out, attribute, seeds, budget, "accuracy")[0], counts, TABLE_EVERY))
    if figure_path is not None and shown:
        figure_path.parent.mkdir(parents=True, exist_ok=True)
        figure_path.write_bytes(encode_png(figure(shown)))
        print(f"\nfigure -> {figure_path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=Path("var/bench"), help="artifact store of the base VAE run")
    p.add_argument("--out", type=Path, default=Path("var/bench/active_learning"),
                   help="folder of the per (attribute, seed) result files")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--attributes", nargs="+", choices=ATTRIBUTES, default=list(ATTRIBUTES),
                   help="the attributes to run (the report covers both)")
    p.add_argument("--figure", type=Path, default=Path("docs/figures/active_learning.png"))
    p.add_argument("--report-only", action="store_true", help="only print the tables and draw the figure")
    p.add_argument("--no-report", action="store_true", help="only run (e.g. one of several parallel runs)")
    p.add_argument("--quick", action="store_true", help="a tiny budget: a smoke run of seconds")
    args = p.parse_args()
    torch.set_num_threads(1)
    budget = QUICK if args.quick else FULL
    start = time.perf_counter()
    if not args.report_only:
        run_units(args.cache, args.out, args.attributes, args.seeds, budget)
    if not args.no_report:
        report(args.out, args.seeds, budget, args.figure)
    print(f"{time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
