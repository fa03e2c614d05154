"""What a forward pass costs per row on this CPU, and so the most that batching traversal misses can gain
from the model's side: the ceiling under ``bench/api_latency.py``'s batching ratio.

The inference executor (``backend/inference.py``) runs every CPU pass in chunks of ``CPU_CHUNK_ROWS`` rows,
padded to a multiple of ``ROW_QUANTUM``, whether a batch holds one request or several. A traversal miss
(10 dims x 9 steps) encodes 1 item and decodes 90 latent vectors. Alone, it runs one padded encoder pass
and its own decoder passes; merged with others up to ``inference_max_batch`` rows, they share the encoder
pass and the decoder's padding. Each workload is a stream of passes back to back, as a loaded server runs
them; the workloads are timed interleaved (each round times every one once, so drifts of this noisy
machine hit all alike), and the figures are medians of the rounds.

    python bench/pass_rows.py                  # trains a small conv VAE on dSprites (50 steps) in a temp home
    python bench/pass_rows.py --home var --run demo-beta-tcvae-dsprites
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from api_latency import RUN, ensure_run  # bench/ is on the path: the same dSprites run as the latency bench

from backend.config import Settings
from backend.inference import CPU_CHUNK_ROWS, OPS, ROW_QUANTUM, InferenceExecutor
from backend.runs import load_run
from backend.store import serving_layout
from models.base import LatentModel

PASS_ROWS = (16, 32, 96, 240, 480)  # decoder pass sizes timed (16 and CPU_CHUNK_ROWS are the ones served)
STREAM_ROWS = 480  # each size is timed as a stream of passes over this many rows, as a loaded server runs them
TRAVERSAL_ROWS = 90  # 10 dims x 9 steps


def passes(rows: int) -> list[int]:
    """The pass sizes the executor runs for ``rows`` rows on a CPU."""
    executor = InferenceExecutor(1, rows, CPU_CHUNK_ROWS, timeout_s=1.0)  # never started: its padding rule
    return [executor.pass_rows(min(CPU_CHUNK_ROWS, rows - start)) for start in range(0, rows, CPU_CHUNK_ROWS)]


def time_calls(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each call, timed interleaved after two warm-up rounds."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(repeats + 2):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            if round_ >= 2:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def workloads(model: LatentModel, merged: int) -> dict[str, Callable[[], object]]:
    """The decoder streams, and ``merged`` traversal misses run alone (one after another) or as one batch."""
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(STREAM_ROWS, model.latent_dim, generator=generator)
    x = torch.rand(ROW_QUANTUM, *model.data.shape, generator=generator)

    def stream(sizes: list[int]) -> None:
        for n in sizes:
            OPS["decode"](model, z[:n])

    def misses(batches: int, traversals: int) -> Callable[[], None]:
        sizes = passes(traversals * TRAVERSAL_ROWS)  # worked out once, outside the timed call

        def run() -> None:
            for _ in range(batches):
                OPS["encode"](model, x)  # the items' codes: one 16-row pass per batch
                stream(sizes)
        return run

    calls: dict[str, Callable[[], object]] = {
        f"decode {n}": (lambda sizes=[n] * (STREAM_ROWS // n): stream(sizes)) for n in PASS_ROWS}
    calls["alone"], calls["merged"] = misses(merged, 1), misses(1, merged)
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="FACTORSCOPE_HOME holding the run (default: a temp folder)")
    parser.add_argument("--run", default=RUN, help=f"run id of a dSprites run (default {RUN}, trained if missing)")
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="factorscope-bench-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        ensure_run(home, args.run)
        model, _ = load_run(home, args.run, "cpu")
    model = serving_layout(model, torch.device("cpu"))
    merged = Settings().inference_max_batch // TRAVERSAL_ROWS
    with torch.inference_mode():
        seconds = time_calls(workloads(model, merged), args.repeats)
    report(seconds, merged)


def report(seconds: dict[str, float], merged: int) -> None:
    served = seconds[f"decode {CPU_CHUNK_ROWS}"]
    print(f"\nconv VAE decoder on this CPU ({torch.get_num_threads()} threads), {STREAM_ROWS} rows in passes of n "
          f"rows, back to back; medians of the rounds:")
    print(f"| pass rows | us/row | vs the served {CPU_CHUNK_ROWS}-row pass |")
    print("|---|---|---|")
    for n in PASS_ROWS:
        print(f"| {n} | {seconds[f'decode {n}'] / STREAM_ROWS * 1e6:.0f} | {seconds[f'decode {n}'] / served:.2f}x |")
    alone, together = seconds["alone"] / merged, seconds["merged"] / merged
    print(f"\n{merged} traversal misses (the most one batch holds), model time per traversal:")
    print(f"  alone, one after another: {alone * 1e3:.1f} ms (each: one {ROW_QUANTUM}-row encoder pass + decoder "
          f"passes {passes(TRAVERSAL_ROWS)})")
    print(f"  merged into one batch:    {together * 1e3:.1f} ms (one encoder pass + "
          f"{len(passes(merged * TRAVERSAL_ROWS))} decoder passes)")
    print(f"  ceiling of the traversal batching ratio from the model's side: {alone / together:.2f}x")


if __name__ == "__main__":
    main()
