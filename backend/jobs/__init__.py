"""Jobs: long work (training, evaluation) queued in a database and run by ``factorscope worker``.

The API submits, lists, reads and cancels jobs through ``JobStore``; the worker process claims and runs
them with the handlers in ``JOB_KINDS``.
"""

from .context import JobContext
from .handlers import JOB_KINDS, Handler, check_payload
from .model import FINISHED, MAX_ATTEMPTS, STATES, Job, JobCancelled, JobInterrupted, JobNotFoundError, JobState
from .process import start_worker_process, stop_worker_process
from .store import JobStore
from .worker import execute, run_worker

__all__ = [
    "FINISHED",
    "JOB_KINDS",
    "MAX_ATTEMPTS",
    "STATES",
    "Handler",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobInterrupted",
    "JobNotFoundError",
    "JobState",
    "JobStore",
    "check_payload",
    "execute",
    "run_worker",
    "start_worker_process",
    "stop_worker_process",
]
