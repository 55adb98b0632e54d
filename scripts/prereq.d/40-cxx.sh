#!/usr/bin/env bash
# A C++ compiler builds the host emulator of the CUDA kernels (gateway-cuda/src/test/cuda), on which the kernel
# tests run on machines without a GPU. Without one those tests skip, saying why; this installs g++ so CI runs them.
set -euo pipefail
if command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1; then
  exit 0
fi
apt_install g++
