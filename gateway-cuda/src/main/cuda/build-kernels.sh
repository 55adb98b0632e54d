#!/usr/bin/env bash
# Compiles every src/main/cuda/*.cu into a fatbin (machine code for sm_80, sm_86, sm_89, sm_90 plus compute_90
# PTX, which newer GPUs JIT-compile) under OUT_DIR, the classpath folder the CUDA backend loads modules from.
# Maven runs it in generate-resources (gateway-cuda/pom.xml).
#
#   build-kernels.sh SRC_DIR OUT_DIR
#
# Without nvcc it says so and succeeds: the build works everywhere, and the CUDA backend then refuses to start
# with a message naming the missing kernels. Up-to-date fatbins are kept (each is rebuilt when its .cu or any
# header is newer), and two files compile at once, so a rebuild stays short on small machines.
# FAIRLANE_NVCC overrides which nvcc; FAIRLANE_CUDA_ARCHS overrides the machine-code targets (e.g. "90").
set -euo pipefail
src=${1:?source dir}; out=${2:?output dir}

nvcc=${FAIRLANE_NVCC:-}
if [ -z "$nvcc" ]; then
  for c in "$(command -v nvcc 2>/dev/null || true)" "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
    if [ -n "$c" ] && [ -x "$c" ]; then nvcc=$c; break; fi
  done
fi
if [ -z "$nvcc" ]; then
  echo "[fairlane] nvcc not found: CUDA kernels not built (the CUDA backend will refuse to start; the CPU backend is unaffected)"
  exit 0
fi

archs=${FAIRLANE_CUDA_ARCHS:-"80 86 89 90"}
gencode=()
for a in $archs; do gencode+=("-gencode=arch=compute_$a,code=sm_$a"); done
gencode+=("-gencode=arch=compute_90,code=compute_90")

mkdir -p "$out"
newest_header=$(ls -t "$src"/*.cuh | head -1)
pids=()
built=0
for cu in "$src"/*.cu; do
  name=$(basename "$cu" .cu)
  target="$out/$name.fatbin"
  if [ -f "$target" ] && [ "$target" -nt "$cu" ] && [ "$target" -nt "$newest_header" ] && [ "$target" -nt "$0" ]; then
    continue
  fi
  # -lineinfo costs nothing at run time and lets compute-sanitizer name source lines.
  "$nvcc" -fatbin -O3 -std=c++17 -lineinfo "${gencode[@]}" -o "$target.tmp" "$cu" && mv "$target.tmp" "$target" &
  pids+=($!)
  built=$((built + 1))
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
# The module list the Java side loads, written every time so removed files disappear from it.
(cd "$out" && ls *.fatbin | sed 's/\.fatbin$//' | sort > modules.txt)
[ "$built" -gt 0 ] && echo "[fairlane] built $built CUDA kernel module(s) with $nvcc"
exit 0
