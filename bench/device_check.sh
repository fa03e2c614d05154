#!/usr/bin/env bash
# The checks that need a GPU, prepared to run in ONE call of the workplace's device tool (a bare CUDA
# machine whose python3 holds torch, numpy, scipy, scikit-learn, Pillow, safetensors, httpx and pytest,
# and which reaches no package index):
#   1. the executor's bitwise tests on the GPU (tests/backend/test_api_executor.py: a request gives the
#      same bytes alone and batched; fixed-shape passes);
#   2. bench/api_latency.py (issue #4: the batching ratio at concurrency 32) into $OUT/api_latency.txt.
#
#   bash bench/device_check.sh wheels   # here: the API's other packages as wheels for the device's Python
#   bash bench/device_check.sh run      # there, with carry [".device"]: both checks
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=${WHEELS:-.device/wheels}
DEVICE_PYTHON=${DEVICE_PYTHON:-3.12}  # the device image's python3 (KINDS.md)
PACKAGES=(fastapi==0.165.0 starlette==1.10.0 uvicorn==0.54.0 sqlalchemy==2.1.9 pydantic==2.14.4
          pydantic-settings==2.16.3 python-dotenv==1.2.4 typing-inspection==0.4.5 annotated-types==0.8.0)

wheels() {
  mkdir -p "$WHEELS"
  python3 -m pip download --quiet --only-binary=:all: --python-version "$DEVICE_PYTHON" \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --dest "$WHEELS" "${PACKAGES[@]}"
  echo "wheels in $WHEELS ($(du -sh "$WHEELS" | cut -f1)); carry .device in the device run"
}

run() {
  # the image's python3 is itself a venv, so a venv made from it would not see its torch: the wheels go
  # into a folder on PYTHONPATH instead (each wheel as it is, no resolving)
  local out=${OUT:-var/device-check} site=/tmp/factorscope-site
  mkdir -p "$out"
  python3 -m pip install --quiet --no-index --no-deps --target "$site" "$WHEELS"/*.whl
  export PYTHONPATH="$site:$PWD" PYTHONUNBUFFERED=1 FACTORSCOPE_DEVICE=${FACTORSCOPE_DEVICE:-cuda}
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/device.txt"
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
    | tee -a "$out/device.txt"
  python3 -m pytest -q -p no:cacheprovider tests/backend/test_api_executor.py 2>&1 | tee "$out/bitwise.txt" \
    || echo "the bitwise tests FAILED (see bitwise.txt); the benchmark runs anyway"
  python3 bench/api_latency.py "$@" 2>&1 | tee "$out/api_latency.txt"
}

case "${1:-}" in
  wheels) wheels ;;
  run) shift; run "$@" ;;
  *) echo "usage: bash bench/device_check.sh wheels|run [api_latency.py options]" >&2; exit 2 ;;
esac
