#!/usr/bin/env bash
# The two tiers end to end, one command: three CPU engine replicas and two routers in one JVM on loopback, a
# multi-tenant shared-prefix workload run round robin and then by prefix affinity, then once more with one replica
# closed halfway (errors, recovery). The routers tokenise with the engines' (synthetic) tokenizer unless
# --router-tokenizer off; --kv-cache-blocks sizes each engine's KV cache, and each run prints the cache and the
# workload's working set in blocks (affinity's regime: larger than one replica's cache, smaller than three).
#   bench/cluster/e2e.sh [--tenants 4 --conversations 6 --turns 6 --system-chars 1200 --shape tiny --threads 1
#       --max-tokens 8 --kv-cache-blocks 8192 --router-tokenizer on]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
export FAIRLANE_ENGINE_KEY=sk-bench-router-to-engine
export FAIRLANE_ACCESS_LOG=OFF   # one line per request and per load read would cost CPU the run measures
echo "load average: $(cat /proc/loadavg)"
"${BENCH_JAVA[@]}" -cp "$BENCH_CP" io.fairlane.bench.cluster.ClusterE2eBench "$@"
echo "load average: $(cat /proc/loadavg)"
