#!/usr/bin/env bash
# JMH: cost of one scheduling decision (next + complete + replacement offer) with many tenants and a
# deep queue, for every policy. Extra arguments go to JMH, e.g. `-p tenants=1000,10000,100000` or `-f 3`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
exec "$JAVA_HOME/bin/java" -cp "$BENCH_CP" org.openjdk.jmh.Main SchedulerDecisionBenchmark "$@"
