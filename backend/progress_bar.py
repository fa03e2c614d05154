"""The command line's progress bar for training and evaluation (a fraction 0..1 with a status text)."""

from __future__ import annotations

import sys

from tqdm import tqdm

FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]"


def progress_bar(desc: str) -> tqdm:
    """A bar over 0..1 on stderr: redrawn at most every 0.1 s on a terminal, every 30 s into a log file
    (where each redraw is another line)."""
    return tqdm(total=1.0, desc=desc, bar_format=FORMAT, mininterval=0.1 if sys.stderr.isatty() else 30.0)


def advance(bar: tqdm, fraction: float, status: str) -> None:
    """Move ``bar`` to ``fraction`` with ``status``; tqdm redraws it when its interval has passed."""
    bar.set_postfix_str(status, refresh=False)
    bar.update(fraction - bar.n)
