#!/usr/bin/env bash
# The device checks, as one prepared script for a lent GPU machine (the device tool's `run`, from
# the repository root, carry [".whl"] made by benchmarks/gpu_wheels.sh here first):
#   1. the tests of the CUDA paths (tests/test_histogram_fast.py, tests/test_device_inputs.py:
#      they skip on machines without CUDA, so CI never runs them), then
#   2. benchmarks/bench_gpu.py: the figures for the README, marked as measured on that GPU.
# Everything is also written under $OUT (gpu.txt, tests.log, bench_gpu.txt), which comes back.
# ~3-5 minutes on an H200; each step has its own time limit so that the figures come back even
# if a step hangs.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/cellboard-gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
if [ -d .whl ]; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD/python_pkg
else
  export PYTHONPATH=$PWD/python_pkg${PYTHONPATH:+:$PYTHONPATH}
fi
{
  nvidia-smi -L 2>&1 || echo "no nvidia-smi"
  "$PY" -c "import sys, torch, numpy; print(sys.version.split()[0], 'torch', torch.__version__, 'numpy', numpy.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$OUT/gpu.txt"
timeout 240 "$PY" -m pytest -q -p no:cacheprovider -rs tests/test_histogram_fast.py tests/test_device_inputs.py 2>&1 | tee "$OUT/tests.log"
timeout 420 "$PY" benchmarks/bench_gpu.py --steps 500 --reps 3 2>&1 | tee "$OUT/bench_gpu.txt"
