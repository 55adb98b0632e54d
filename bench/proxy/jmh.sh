#!/usr/bin/env bash
# The relay's own work without sockets, as JMH benchmarks: StreamRelayBenchmark (a streamed answer: SSE split,
# chunk scan, tier splice, per stream of 12 and 100 events) and AnswerRepairBenchmark (an unstreamed answer:
# gathered, scanned, tier spliced).
#   bash bench/proxy/jmh.sh -prof gc     (any JMH option; -prof gc gives the allocation per stream or answer, the
#                                         solid figure; env JMH_INCLUDE=StreamRelay runs one of them)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
exec "$JAVA_HOME/bin/java" -cp "$BENCH_CP" org.openjdk.jmh.Main "${JMH_INCLUDE:-(StreamRelay|AnswerRepair)Benchmark}" "$@"
