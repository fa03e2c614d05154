"""All settings come from FACTORSCOPE_* environment variables through this one object."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
MAX_WORKER_SLOTS = 64  # jobs one worker runs at once, at most
HOST_PATTERN = re.compile(r"\*|(\*\.)?[a-z0-9_.-]+|\[[0-9a-f:.]+\]")  # a name, *.suffix, an [IPv6] literal or *


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACTORSCOPE_", extra="ignore")

    home: Path = Field(Path("var"), description="artifact store: runs/, caches, the SQLite file")
    api_port: int = Field(8000, ge=1, le=65535)
    ui_port: int = Field(8050, ge=1, le=65535)
    device: str = Field("auto", description="'auto' (CUDA when present), 'cpu' or 'cuda[:i]'")
    # API v1: model cache, inference executor and request limits (each limit answers a 422 naming it)
    model_cache_size: int = Field(4, ge=1, description="trained models kept loaded at once (least recently used go)")
    inference_queue_size: int = Field(64, ge=1, description="requests waiting for the inference thread; full: 503")
    inference_max_batch: int = Field(512, ge=1, description="rows combined from several requests into one forward "
                                     "pass (1: never combine requests)")
    inference_chunk_rows: int = Field(0, ge=0, description="rows per forward pass (a batch larger than this is "
                                      "split); 0: 32 on a CPU, 256 on a GPU")
    inference_fixed_shape: bool | None = Field(None, description="pad every pass to exactly inference_chunk_rows "
                                               "rows (one kernel choice for every pass); unset: on a GPU only")
    inference_timeout_s: float = Field(120.0, gt=0, description="how long a request waits for its result")
    retry_after_s: int = Field(1, ge=1, description="Retry-After seconds sent with a 503 when the queue is full")
    # admission (api/admission.py): per route class, requests running at once, then a few waiting; beyond: 503
    admission: bool = Field(True, description="admit requests per route class (false: every request waits for a "
                            "thread, however many come; /health and /ready never wait either way)")
    admission_inference: int = Field(16, ge=1, le=1024, description="requests of routes that use the inference "
                                     "executor (traversal, decode, reconstruct, factors, embedding...) running at once")
    admission_reads: int = Field(16, ge=1, le=1024, description="other GET requests running at once")
    admission_writes: int = Field(8, ge=1, le=1024, description="other POST/PUT/DELETE requests running at once")
    admission_waiting: int = Field(16, ge=0, le=4096, description="requests of each class waiting for a slot "
                                   "(holding no thread); beyond them: 503 with Retry-After")
    max_traversal_cells: int = Field(400, ge=1, description="dims x steps in one traversal")
    max_steps: int = Field(65, ge=2, description="steps per traversed dim")
    max_decode_batch: int = Field(1024, ge=1, description="latent vectors in one decode request")
    max_items: int = Field(64, ge=1, description="items in one reconstruct request")
    max_embedding_n: int = Field(5000, ge=2, description="items encoded for one embedding or factor table")
    max_projection_n: int = Field(1_000_000, ge=2, description="items of one precomputed projection (POST "
                                  "/runs/{id}/projections; the whole dataset at most)")
    max_manifold_n: int = Field(100_000, ge=2, description="items of one t-SNE or UMAP projection")
    max_train_steps: int = Field(1_000_000, ge=1, description="optimizer steps of one training job")
    max_model_params: int = Field(50_000_000, ge=1, description="parameters of a model created through the API")
    max_model_layers: int = Field(64, ge=1, description="layers (modules with parameters) of a model created "
                                  "through the API")
    max_train_batch: int = Field(4096, ge=2, description="batch_size of a training job created through the API")
    max_body_bytes: int = Field(1 << 20, ge=1024, description="request body size; larger: 413")
    start_worker: bool = Field(False, description="start the job worker process together with the API")
    # who may call: Host names (DNS rebinding) and other sites' pages (CORS); writes need a header a form cannot send
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        list(LOOPBACK_HOSTS), description="Host header names the API answers (any port), comma-separated; "
        "'*.example.org' for its subdomains, '*' for any (not for a server others can reach). The address a "
        "request arrived at is allowed too when the Host names it as an IP literal; others get a 400")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        [], description="origins (https://host[:port]) whose pages may call the API from a browser, comma-separated; "
        "empty: none (CORS closed)")
    # who may do what (backend/auth): bearer tokens with a role; writes need one whenever auth is on
    auth: Literal["on", "off", "auto"] = Field("auto", description="tokens required for writes: on, off, or auto "
                                               "(on whenever the server listens beyond loopback)")
    auth_reads: bool = Field(False, description="with auth on, reads need a token too (any role); default: open")
    listen_host: str = Field(LOOPBACK_HOSTS[1], description="the interface the API listens on (factorscope serve "
                             "--host sets it); with auth=auto, anything but loopback turns auth on")

    # jobs (backend/jobs): the queue's database and the worker's polling
    database_url: str = Field("", description="jobs database: sqlite:///path.db or postgresql+psycopg://user:pw@host/db;"
                              " empty: sqlite:///<home>/factorscope.db")
    worker_poll_s: float = Field(1.0, gt=0, le=60, description="seconds between the worker's polls of an empty queue")
    worker_heartbeat_s: float = Field(10.0, gt=0, le=10, description="seconds between a running job's signs of life "
                                      "(at most 10: a job untouched for 60 s is taken for abandoned), and so the "
                                      "longest a cancel waits to be seen")
    worker_slots: int = Field(2, ge=1, le=MAX_WORKER_SLOTS, description="jobs one worker runs at once (threads, "
                              "each claiming the next job as it is free; factorscope worker --slots sets it); torch's "
                              "threads per job stay as configured, so N slots may use N times the cores")
    worker_db_retries: int = Field(3, ge=0, le=100, description="times a job that meets a database error of its own "
                                   "while the database answers the worker goes back to the queue before it fails "
                                   "with that error (an outage, where the database does not answer, is waited out)")

    @field_validator("inference_chunk_rows")
    @classmethod
    def _whole_passes(cls, rows: int) -> int:
        if 0 < rows < 16:
            raise ValueError("expected 0 (the device's default) or at least 16 rows: every pass is padded to 16")
        return rows

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _host_names(cls, hosts: object) -> object:
        names = _listed(hosts)
        if isinstance(names, list):
            bad = [h for h in names if not isinstance(h, str) or not HOST_PATTERN.fullmatch(h)]
            if bad or not names:
                raise ValueError(f"expected host names without port or scheme (localhost, api.example.org, "
                                 f"*.example.org, 127.0.0.1, [::1]), got {bad or 'none'}")
        return names

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, origins: object) -> object:
        listed = _listed(origins)
        if isinstance(listed, list):
            bad = [o for o in listed if not isinstance(o, str) or not re.fullmatch(r"https?://[^/\s]+", o)]
            if bad:
                raise ValueError(f"expected origins like https://lab.example.org:8050 (scheme, host, optional port, "
                                 f"no path), got {bad}")
        return listed

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home}/factorscope.db"
        return self

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"


def _listed(value: object) -> object:
    """A comma-separated string (as an environment variable gives it) -> its stripped, lower-cased, non-empty items;
    a list -> its items lower-cased (anything else is left for pydantic to refuse)."""
    if isinstance(value, str):
        return [item.strip().lower() for item in value.split(",") if item.strip()]
    if isinstance(value, list | tuple):
        return [item.lower() if isinstance(item, str) else item for item in value]
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
