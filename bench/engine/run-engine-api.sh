#!/usr/bin/env bash
# Runs bench/engine/EngineApiBench.java in-process against the engine API (no gateway, no HTTP).
#   bench/engine/run-engine-api.sh [prefix|concurrency|fairness|all] [--key value ...]
# Builds gateway-engine (tests skipped) and runs the single-file benchmark on its runtime classpath.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
./mvnw -B -q -pl gateway-engine -am compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
  -Dmdep.includeScope=runtime >&2
CP="gateway-engine/target/classes:$(cat gateway-engine/target/cp.txt)"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:+UseParallelGC -Xmx4g ${BENCH_JAVA_OPTS:-} -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  bench/engine/EngineApiBench.java "$@"
