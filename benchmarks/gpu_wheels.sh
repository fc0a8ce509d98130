#!/usr/bin/env bash
# Run HERE (not on the GPU machine), from the repository root, before a session's device run:
# downloads into .whl/ (git-ignored through .git/info/exclude) the wheels of cellboard's runtime
# dependencies that the lent GPU machine's image lacks (it has torch, numpy, pillow, pytest,
# tensorboard and numba: /work/.library/device/KINDS.md), for its Python 3.12 on x86-64, at the
# versions this repository's tests use. Then: the device tool's `run` with carry [".whl"] and the
# command `bash benchmarks/gpu_check.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
PY=${PYTHON:-.venv/bin/python}
want=(ipython ipython-pygments-lexers traitlets anywidget ipywidgets psygnal comm widgetsnbextension
      jupyterlab_widgets google-crc32c watchdog jedi parso matplotlib-inline pexpect ptyprocess
      prompt_toolkit wcwidth stack_data asttokens executing pure_eval)
specs=()
for name in "${want[@]}"; do
  version=$("$PY" -m pip show "$name" 2>/dev/null | awk '/^Version:/ {print $2}')
  specs+=("$name${version:+==$version}")
done
rm -rf .whl && mkdir -p .whl
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl "${specs[@]}"
ls .whl | wc -l
du -sh .whl
