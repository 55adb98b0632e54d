#!/usr/bin/env bash
# Builds the CUDA emulator library the kernel tests run on when no GPU is present: the project's kernels
# (src/main/cuda/*.cu) compiled as host C++ against cuda_emu.hpp, plus the emulator's scheduler.
# Maven runs it in generate-test-resources (gateway-cuda/pom.xml).
#
#   build-emulator.sh MAIN_CUDA_DIR TEST_CUDA_DIR OUT_FILE
#
# Without a C++ compiler it says so and succeeds; the emulator tests then skip, saying why.
# Skips the compile when OUT_FILE is newer than every source.
set -euo pipefail
main=${1:?}; test=${2:?}; out=${3:?}
cxx=${CXX:-}
if [ -z "$cxx" ]; then
  for c in g++ clang++ c++; do
    if command -v "$c" >/dev/null 2>&1; then cxx=$c; break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "[fairlane] no C++ compiler: CUDA emulator not built (kernel emulation tests will be skipped)"
  exit 0
fi
if [ -f "$out" ]; then
  stale=$(find "$main" "$test" "$0" -newer "$out" \( -name '*.cu' -o -name '*.cuh' -o -name '*.cpp' -o -name '*.hpp' -o -name '*.sh' \) -print -quit)
  [ -z "$stale" ] && exit 0
fi
mkdir -p "$(dirname "$out")"
"$cxx" -std=c++17 -O2 -g0 -fPIC -shared -fno-strict-aliasing -Wall -Wno-unused-function -Wno-unknown-pragmas \
  -DFAIRLANE_EMU=1 -I"$test" -I"$main" "$test"/emu_runtime.cpp -x c++ "$main"/*.cu -o "$out.tmp"
mv "$out.tmp" "$out"
echo "[fairlane] built CUDA emulator $out"
