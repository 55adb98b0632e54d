#!/usr/bin/env bash
# Runs io.fairlane.bench.engine.EngineApiBench in-process against the engine API (no gateway, no HTTP).
#   bench/engine/run-engine-api.sh [prefix|concurrency|fairness|all] [--key value ...]
# Builds the benchmark module (bench/lib.sh, tests skipped) and runs the benchmark on its runtime classpath.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
# shellcheck disable=SC2086
exec "${BENCH_JAVA[@]}" -XX:+UseParallelGC -Xmx4g ${BENCH_JAVA_OPTS:-} -cp "$BENCH_CP" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.fairlane.bench.engine.EngineApiBench "$@"
