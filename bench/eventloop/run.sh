#!/usr/bin/env bash
# Event loops do I/O only: does a client sending big prompts slow everybody else on the same event loop?
#
#   bench/eventloop/run.sh        (env: LOOPS=1 RATE=20 SECONDS_PER_PHASE=30 WARMUP=5 HEAVY_SIZE=1500000
#                                  HEAVY_CONNECTIONS=$LOOPS LIGHT_CONNECTIONS=4 PORT=28517 MVN_FLAGS=
#                                  NO_BUILD=1 to use the jars already built)
#
# A real gateway (the class and JVM flags `./fairlane serve` uses) serves the default local model
# `fairlane-tiny` (synthetic, CPU backend) with server.event_loops=LOOPS. io.fairlane.bench.eventloop.EventLoopBench
# (bench module) is the load:
#   1. light alone: tenant "light" sends short chat requests (max_tokens 4) at RATE per second, open loop,
#      latency counted from each request's due time;
#   2. light under load: the same, while tenant "heavy" sends HEAVY_SIZE-byte chat prompts back to back on
#      HEAVY_CONNECTIONS connections (one per event loop by default, so every loop gets its share). A prompt
#      that size is far beyond the model's 2,048-token context: each one is parsed, rendered and tokenised,
#      then refused with 400 context_length_exceeded, so the engine itself never sees the heavy traffic and
#      what the light client feels is the gateway's own per-request work.
# Prints the light client's p50/p90/p99/max for both phases, the heavy client's request count, and the ratio
# p99(under load) / p99(alone). Server log: target/bench-eventloop/server.log. Then, with the server stopped,
# io.fairlane.bench.eventloop.InlineCost: what parsing and preparing a chat costs by body size, against a hand-over to
# another thread and back (the reason for the preparation pool's inline limits).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
LOOPS=${LOOPS:-1} RATE=${RATE:-20} PHASE=${SECONDS_PER_PHASE:-30} WARMUP=${WARMUP:-5} PORT=${PORT:-28517}
HEAVY_SIZE=${HEAVY_SIZE:-1500000} HEAVY_CONNECTIONS=${HEAVY_CONNECTIONS:-$LOOPS} LIGHT_CONNECTIONS=${LIGHT_CONNECTIONS:-4}
work=target/bench-eventloop
mkdir -p "$work"

if [ -z "${NO_BUILD:-}" ]; then
  bench_build
else
  BENCH_CP="$bench_root/bench/target/classes:$(cat "$bench_root/bench/target/runtime.classpath")"
fi
JAVA=("${BENCH_JAVA[@]}")

key_hash() { printf 'sha256:%s' "$(printf %s "$1" | sha256sum | cut -d' ' -f1)"; }
LIGHT_KEY=sk-bench-light HEAVY_KEY=sk-bench-heavy
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "port $PORT is taken by another process; set PORT" >&2
  exit 1
fi
cat >"$work/fairlane.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT, event_loops: $LOOPS}
tenants:
  - {id: light, api_keys: ["$(key_hash $LIGHT_KEY)"], queue: {max_requests: 100000, max_tokens: 1000000000}}
  - {id: heavy, api_keys: ["$(key_hash $HEAVY_KEY)"], queue: {max_requests: 100000, max_tokens: 1000000000}}
models:
  - id: fairlane-tiny
    local:
      synthetic: {shape: tiny, dtype: f32, seed: 42}
      backend: cpu
      kv: {block_size: 16, cache_size: 64MiB}
      cpu_threads: 1
metrics: {enabled: true}
YAML

server_pid= heavy_pid=
cleanup() {
  [ -n "$heavy_pid" ] && kill "$heavy_pid" 2>/dev/null || true
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
FAIRLANE_HOME=$PWD "${JAVA[@]}" -XX:+UseG1GC ${BENCH_JAVA_OPTS:-} -cp "$BENCH_CP" io.fairlane.gateway.Main serve \
  --config "$work/fairlane.yaml" --port "$PORT" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done

url=http://127.0.0.1:$PORT/v1/chat/completions
bench() { "$JAVA_HOME/bin/java" -Xmx512m -cp "$BENCH_CP" io.fairlane.bench.eventloop.EventLoopBench "$@" --url "$url" \
  --model fairlane-tiny; }
light() { bench light --key $LIGHT_KEY --rate "$RATE" --seconds "$PHASE" --warmup "$WARMUP" \
  --connections "$LIGHT_CONNECTIONS"; }

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "event_loops=$LOOPS rate=$RATE/s phase=${PHASE}s heavy=${HEAVY_SIZE}B x$HEAVY_CONNECTIONS; $(git rev-parse --short HEAD); $(date -u +%FT%TZ)"
# Warm the JIT on both request shapes before measuring.
bench heavy --key $HEAVY_KEY --size "$HEAVY_SIZE" --connections "$HEAVY_CONNECTIONS" --seconds 10 | sed 's/^/[warm-up] /'
solo=$(light); echo "[alone]      $solo"
bench heavy --key $HEAVY_KEY --size "$HEAVY_SIZE" --connections "$HEAVY_CONNECTIONS" \
  --seconds $((PHASE + WARMUP + 5)) >"$work/heavy.out" &
heavy_pid=$!
sleep 2
loaded=$(light); echo "[under load] $loaded"
wait "$heavy_pid" || true; heavy_pid=
echo "[heavy]      $(cat "$work/heavy.out")"
p99() { sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$1"; }
awk -v a="$(p99 "$solo")" -v b="$(p99 "$loaded")" 'BEGIN { printf "p99 under load / p99 alone = %.2f\n", b / a }'
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^fairlane_preparation' || true
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
cleanup; server_pid=
if [ -z "${NO_INLINE_COST:-}" ]; then
  "${JAVA[@]}" -cp "$BENCH_CP" io.fairlane.bench.eventloop.InlineCost "${FAIRLANE_CACHE:-$HOME/.cache/fairlane}/models/tiny-f32-s42" \
    2>/dev/null | grep -E '^(body|hop)' | sed 's/^/[inline cost] /'
fi
