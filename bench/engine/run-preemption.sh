#!/usr/bin/env bash
# A light tenant beside a neighbour with 40 requests in flight on a 4-slot CPU engine, with and without preemption
# for a fair share (io.fairlane.bench.engine.FairPreemptionBench, engine API in-process; its class comment says what
# each phase measures and the targets).
#   bench/engine/run-preemption.sh [--option value ...]   e.g. --rounds 5 --light-rps 0.5 --policy vtc
# Builds the benchmark module (bench/lib.sh, tests skipped); the synthetic model is written once under
# target/bench-models. Takes 2 x warm-up + rounds x 2 x 3 x seconds plus model synthesis: about 10 minutes with the
# defaults (3 rounds of 2 settings x 3 phases of 30 s).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$(date -u +%FT%TZ)"
# shellcheck disable=SC2086
"${BENCH_JAVA[@]}" -XX:+UseParallelGC -Xmx4g ${BENCH_JAVA_OPTS:-} -cp "$BENCH_CP" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.fairlane.bench.engine.FairPreemptionBench "$@"
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
