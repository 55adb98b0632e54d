#!/usr/bin/env bash
# The soak: the real gateway (its own JVM, the launcher's flags, a simulated 2 GiB container) under a long mixed load
# of three tenants, streamed and whole answers, clients leaving mid-stream and an upstream failing 1% of requests on
# purpose, with the CPU engine beside it; resident memory sampled as it runs. Passes (exit 0) when there was no
# unexpected error, no leak report, nothing left in flight, queued or holding KV blocks, and RSS stayed flat after
# warm-up. 30 minutes with the defaults, plus the build.
#   bench/soak/run.sh [--duration-s 1800] [--warmup-s 120] [--clients 16] [--abort-ratio 0.05] [--failure-ratio 0.01]
#       [--memory 2g] [--sample-s 10] [--leak-detection simple|paranoid] [--rss-slack 0.10] [--samples FILE.csv]
# Builds the benchmark module (bench/lib.sh), then runs io.fairlane.bench.soak.SoakBench, which is the failing
# upstream and the load generator and starts `io.fairlane.gateway.Main serve` from the same classpath.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
exec "$JAVA_HOME/bin/java" -Xmx1g -cp "$BENCH_CP" io.fairlane.bench.soak.SoakBench --classpath "$BENCH_CP" "$@"
