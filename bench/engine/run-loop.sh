#!/usr/bin/env bash
# The engine loop's host time per step and what overlapping it with the device hides, without a GPU
# (io.fairlane.engine.runtime.EngineLoopBench: the real engine loop over a stand-in device that takes a fixed time
# per step and does no arithmetic).
#   bench/engine/run-loop.sh [--batch 1,8,64,256] [--device-us 0,1000,5000] [--tokens 256] [--prompt 16]
# Builds the benchmark module (bench/lib.sh, tests skipped). About a minute with the defaults.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$(date -u +%FT%TZ)"
# shellcheck disable=SC2086
"${BENCH_JAVA[@]}" -XX:+UseParallelGC -Xmx2g ${BENCH_JAVA_OPTS:-} -cp "$BENCH_CP" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.fairlane.engine.runtime.EngineLoopBench "$@"
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
