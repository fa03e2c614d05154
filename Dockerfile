# syntax=docker/dockerfile:1
#
# factorscope images. One Dockerfile, two targets:
#
#   docker build --target backend  -t factorscope-backend  .   # API server + `factorscope worker`
#   docker build --target frontend -t factorscope-frontend .   # Dash dashboard, no torch
#
# docker-compose.yml builds both; see there for volumes, the database and GPU reservations.

# ---------------------------------------------------------------------------------------------------------
# base: the interpreter, a non-root user and pip settings shared by both targets. No apt packages.
# ---------------------------------------------------------------------------------------------------------
FROM python:3.11.13-slim-bookworm AS base

# PYTHONDONTWRITEBYTECODE is deliberately not set: pip compiles bytecode at install time and that is fine.
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN groupadd --system --gid 10001 factorscope \
    && useradd --system --uid 10001 --gid factorscope --create-home --home-dir /home/factorscope \
       --shell /usr/sbin/nologin factorscope \
    && mkdir -p /data \
    && chown factorscope:factorscope /data

WORKDIR /app

# ---------------------------------------------------------------------------------------------------------
# backend: FastAPI server (default CMD) and the job worker (`factorscope worker`, same image).
#
# CUDA: the PyPI wheel of torch==2.13.0 for Linux x86_64 is the CUDA build (it pulls the CUDA runtime,
# cuBLAS, cuDNN, ... as nvidia-* wheels), so no CUDA base image is needed. Run the container with the
# NVIDIA container runtime (compose: deploy.resources.reservations.devices, or `docker run --gpus all`)
# and torch sees the host's GPUs through the host driver; without it, torch falls back to the CPU.
# ---------------------------------------------------------------------------------------------------------
FROM base AS backend

ENV FACTORSCOPE_HOME=/data \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

COPY pyproject.toml README.md ./

# Dependencies first, against empty package stubs, so that code changes do not re-download torch.
# ("./[extras]" is pip's spelling of ".[extras]" that hadolint also reads as a local path.)
RUN mkdir -p models backend \
    && touch models/__init__.py backend/__init__.py \
    && pip install "./[backend,postgres]" \
    && rm -rf models backend build ./*.egg-info

# The backend image ships the model library and the API; the dashboard lives in the frontend image.
COPY models ./models
COPY backend ./backend

# Now the real package (a regular, non-editable install: provides the `factorscope` console script).
RUN pip install --no-deps --force-reinstall . \
    && rm -rf build ./*.egg-info

USER 10001:10001

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["uvicorn", "--factory", "backend.main:create_app", "--host", "0.0.0.0", "--port", "8000"]

# ---------------------------------------------------------------------------------------------------------
# frontend: the Dash dashboard. Installs only the `frontend` extra: no torch, no backend dependencies.
# It talks to the backend over HTTP (FACTORSCOPE_BACKEND_URL) and listens on FACTORSCOPE_UI_PORT.
# ---------------------------------------------------------------------------------------------------------
FROM base AS frontend

ENV FACTORSCOPE_UI_PORT=8050 \
    FACTORSCOPE_BACKEND_URL=http://backend:8000

COPY pyproject.toml README.md ./

RUN mkdir -p frontend \
    && touch frontend/__init__.py \
    && pip install "./[frontend]" \
    && rm -rf frontend build ./*.egg-info

# Only the frontend package is shipped in this image.
COPY frontend ./frontend

RUN pip install --no-deps --force-reinstall . \
    && rm -rf build ./*.egg-info

USER 10001:10001

EXPOSE 8050

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; p = os.environ.get('FACTORSCOPE_UI_PORT', '8050'); r = urllib.request.urlopen('http://127.0.0.1:' + p + '/', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["python", "-m", "frontend"]
