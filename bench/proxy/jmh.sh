#!/usr/bin/env bash
# The stream relay's per-event work (SSE split, chunk scan, tier splice) as a JMH benchmark, no sockets:
#   bash bench/proxy/jmh.sh -prof gc     (any JMH option; -prof gc gives the allocation per stream, the solid figure)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
exec "$JAVA_HOME/bin/java" -cp "$BENCH_CP" org.openjdk.jmh.Main StreamRelayBenchmark "$@"
