#!/usr/bin/env bash
# Routing benchmarks, in one run:
#   1. JMH: the cost of one routing decision (place + release) at 10 and 100 targets, 1 and 4 groups, with none or
#      half of the first group ejected (RoutingDecisionBenchmark; extra arguments go to JMH, e.g. -p targets=100),
#      then the same decision in thread CPU time (RoutingDecisionCpuCost), which a busy machine does not inflate;
#   2. end to end through a gateway in this JVM, against stub upstreams on loopback (RoutingLatencyBench): latency
#      of a healthy target (baseline), a dead primary (connect refused), a resetting primary and an accept-and-silent
#      primary (each with a healthy fallback), and a target whose every request is mirrored to a shadow.
#
#   bash bench/routing/run.sh       (env: REQUESTS=5000 RATE=100 ROUNDS=5 WARMUP=1000; JMH_ARGS for the first part)
#
# The weighted split (chi-square over 10,000 requests) is a unit test, ModelRouterTest, not a benchmark.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
echo "## routing decision cost (JMH, ns per place + release)"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" -cp "$BENCH_CP" org.openjdk.jmh.Main RoutingDecisionBenchmark ${JMH_ARGS:-} "$@"
echo
echo "## routing decision cost in thread CPU time (robust to a busy machine)"
"$JAVA_HOME/bin/java" -Xms512m -Xmx512m -cp "$BENCH_CP" io.fairlane.bench.routing.RoutingDecisionCpuCost
echo
echo "## failover and shadow latency through the gateway"
FAIRLANE_ACCESS_LOG=${FAIRLANE_ACCESS_LOG:-OFF} "${BENCH_JAVA[@]}" -XX:+UseG1GC -cp "$BENCH_CP" io.fairlane.bench.routing.RoutingLatencyBench \
  --requests "${REQUESTS:-5000}" --rate "${RATE:-100}" --rounds "${ROUNDS:-5}" --warmup "${WARMUP:-1000}"
