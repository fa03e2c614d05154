"""``factorscope worker``: run queued jobs until SIGINT/SIGTERM, one log line per job state change.

The first signal stops cleanly: the current job goes back to the queue at its next progress report
(a train job keeps its resumable checkpoint). A second signal quits at once; the next worker start
re-queues the job it left running.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from .config import MAX_WORKER_SLOTS, get_settings


def add_worker_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run queued jobs (training, evaluation) until SIGINT/SIGTERM")
    p.add_argument("--once", action="store_true", help="run the jobs queued now, then exit")
    p.add_argument("--slots", type=_slots, default=None, metavar="N",
                   help=f"run up to N jobs at once (1..{MAX_WORKER_SLOTS}; default: FACTORSCOPE_WORKER_SLOTS, else 2)")
    p.add_argument("--parent-pid", type=int, default=None, metavar="PID",
                   help="stop cleanly once process PID, which started this one, is gone (serve and demo use it)")
    p.set_defaults(handler=run_worker_command)


def run_worker_command(args: argparse.Namespace) -> int:
    from .jobs import run_worker

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    install_stop_handlers(stop)
    if args.parent_pid is not None:  # given by the parent: it may be gone before this process got here
        threading.Thread(target=stop_with_parent, args=(args.parent_pid, stop), name="parent-watch",
                         daemon=True).start()
    run_worker(get_settings(), stop, once=args.once, slots=args.slots)
    return 0


def _slots(text: str) -> int:
    """``--slots``: an integer in 1..MAX_WORKER_SLOTS (as the worker_slots setting), else an argparse error."""
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_WORKER_SLOTS:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..{MAX_WORKER_SLOTS}, got {text!r}")
    return int(text)


def stop_with_parent(parent: int, stop: threading.Event, every_s: float = 1.0) -> None:
    """Set ``stop`` once ``parent`` has exited (this process is then re-parented), as after a SIGKILL of serve,
    so no orphaned worker is left running jobs beside the next one."""
    while os.getppid() == parent:
        if stop.wait(every_s):
            return
    logging.getLogger("factorscope.worker").info("the process that started this worker (pid %d) is gone: "
                                                 "stopping after the current step", parent)
    stop.set()


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGINT/SIGTERM set ``stop``; a second one raises KeyboardInterrupt (quit now)."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        logging.getLogger("factorscope.worker").info(
            "%s: stopping after the current step (send again to quit now)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
