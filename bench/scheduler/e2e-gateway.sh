#!/usr/bin/env bash
# The scheduler's end-to-end fairness run through the real gateway: a light tenant and a noisy one (10x its rate)
# on an upstream lane with 4 slots in front of a stub upstream (service time 100 ± 50 ms, so 40 req/s of
# capacity; the noisy tenant alone offers 50); the light tenant's latency alone, then beside the noisy one
# under DRR and FCFS, same seeded open-loop traffic. About 4 minutes with the defaults, plus the build.
#   bench/scheduler/e2e-gateway.sh [--service-ms 100] [--service-spread-ms 50] [--slots 4] [--light-rps 5]
#       [--ratio 10] [--duration-s 60] [--arrivals poisson|fixed] [--seed 1] [--phases solo,drr,fcfs[,vtc,dlpm]]
#       [--samples FILE.csv]
# Builds the benchmark module (bench/lib.sh, tests skipped), then runs io.fairlane.bench.scheduler.E2eGatewayBench,
# which is both the stub upstream and the load generator, and starts `io.fairlane.gateway.Main serve` from the same
# classpath as its own JVM (the launcher's flags) on an ephemeral port with a generated config.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
exec "$JAVA_HOME/bin/java" -Xms256m -Xmx1g -cp "$BENCH_CP" io.fairlane.bench.scheduler.E2eGatewayBench \
  --classpath "$BENCH_CP" "$@"
