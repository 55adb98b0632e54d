#!/usr/bin/env bash
# The cluster benchmark, one command: routing (prefix affinity against round robin over three replicas, one lost
# mid-run) and the RPM two routers sharing a real Redis grant.
#   bench/cluster/run.sh [--seconds 30] [--rpm 600] [routing options: --tenants 4 --conversations 24 --turns 8
#       --system-blocks 64 --cache-blocks 4096 --epsilon 0.25]
# Needs redis-server (scripts/prereq.d/50-postgresql.sh installs it) for the RPM part; it is started on a free
# loopback port and stopped at the end.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
bench_build
routing=() rpm=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds|--rpm) rpm+=("$1" "$2"); shift 2 ;;
    *) routing+=("$1" "$2"); shift 2 ;;
  esac
done
echo "== routing"
"${BENCH_JAVA[@]}" -cp "$BENCH_CP" io.fairlane.bench.cluster.ClusterBench --mode routing "${routing[@]}"
echo "== shared RPM"
command -v redis-server >/dev/null || { echo "redis-server is not installed: skipping the RPM part" >&2; exit 0; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
"${BENCH_JAVA[@]}" -cp "$BENCH_CP" io.fairlane.bench.cluster.ClusterBench --mode rpm --redis "redis://127.0.0.1:$port/0" "${rpm[@]}"
