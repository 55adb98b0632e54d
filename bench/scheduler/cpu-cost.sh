#!/usr/bin/env bash
# Thread-CPU nanoseconds per scheduling decision (same loop as the JMH benchmark) for every policy, each
# in its own JVM, at 1k, 10k and 100k tenants with 10 queued requests each (or the tenant counts given as
# arguments). Useful on a shared machine, where wall-clock throughput swings with other load.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
for policy in FCFS DRR VTC DLPM; do
  "$JAVA_HOME/bin/java" -Xms2g -Xmx2g -cp "$BENCH_CP" io.fairlane.bench.scheduler.DecisionCpuCost "$policy" "$@"
done
