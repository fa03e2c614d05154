"""All settings come from FACTORSCOPE_* environment variables through this one object."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    max_traversal_cells: int = Field(400, ge=1, description="dims x steps in one traversal")
    max_steps: int = Field(65, ge=2, description="steps per traversed dim")
    max_decode_batch: int = Field(1024, ge=1, description="latent vectors in one decode request")
    max_items: int = Field(64, ge=1, description="items in one reconstruct request")
    max_embedding_n: int = Field(5000, ge=2, description="items encoded for one embedding or factor table")
    max_train_steps: int = Field(1_000_000, ge=1, description="optimizer steps of one training job")
    max_model_params: int = Field(50_000_000, ge=1, description="parameters of a model created through the API")
    max_model_layers: int = Field(64, ge=1, description="layers (modules with parameters) of a model created "
                                  "through the API")
    max_train_batch: int = Field(4096, ge=2, description="batch_size of a training job created through the API")
    max_body_bytes: int = Field(1 << 20, ge=1024, description="request body size; larger: 413")
    start_worker: bool = Field(False, description="start the job worker process together with the API")

    # jobs (backend/jobs): the queue's database and the worker's polling
    database_url: str = Field("", description="jobs database: sqlite:///path.db or postgresql+psycopg://user:pw@host/db;"
                              " empty: sqlite:///<home>/factorscope.db")
    worker_poll_s: float = Field(1.0, gt=0, le=60, description="seconds between the worker's polls of an empty queue")
    worker_heartbeat_s: float = Field(10.0, gt=0, le=10, description="seconds between a running job's signs of life "
                                      "(at most 10: a job untouched for 60 s is taken for abandoned), and so the "
                                      "longest a cancel waits to be seen")

    @field_validator("inference_chunk_rows")
    @classmethod
    def _whole_passes(cls, rows: int) -> int:
        if 0 < rows < 16:
            raise ValueError("expected 0 (the device's default) or at least 16 rows: every pass is padded to 16")
        return rows

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home}/factorscope.db"
        return self

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
