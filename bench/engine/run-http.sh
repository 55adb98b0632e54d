#!/usr/bin/env bash
# Prefix cache, continuous batching and two-tenant fairness of a local model, through the HTTP API: a real Fairlane
# gateway (the class and JVM flags that `./fairlane serve` runs) serving a synthetic model on the CPU backend, driven
# by io.fairlane.bench.engine.EngineBench (both from the benchmark module's classpath, bench/lib.sh).
#
#   bench/engine/run-http.sh [all|prefix|concurrency|fairness]
#
# (a) prefix:      TTFT of a request whose first PREFIX tokens are cached vs the same shape cold (medians).
# (b) concurrency: STREAMS streams at once vs one at a time, total output tokens/s.
# (c) fairness:    tenant "light" at LIGHT_RPS, tenant "heavy" at RATIO x that (Poisson);
#                  light alone first, then both; one fresh server per policy in POLICIES (default "fcfs drr"),
#                  so the policies are compared within one run.
# Knobs (environment): SHAPE (tiny-llama) DTYPE (f32) CONTEXT (8192) KV (768MiB) PORT (28417) PREFIX (4000)
# REPEATS (3) STREAMS (16) PROMPT (128) MAX_TOKENS (128) LIGHT_RPS (1) RATIO (10) SECONDS_PER_PHASE (30)
# FAIR_PROMPT (1024) FAIR_MAX_TOKENS (16) POLICIES ("fcfs drr") QUANTUM (4096) MVN_FLAGS (e.g. -o).
# Output: key=value lines per scenario (copy them into docs/benchmarks.md) and the server logs under
# target/bench-http/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
scenario=${1:-all}
SHAPE=${SHAPE:-tiny-llama} DTYPE=${DTYPE:-f32} CONTEXT=${CONTEXT:-8192} KV=${KV:-768MiB} PORT=${PORT:-28417}
work=target/bench-http
mkdir -p "$work"

bench_build
CP=$BENCH_CP
JAVA=("${BENCH_JAVA[@]}")

# The model: synthetic SHAPE with the built-in tokenizer, context raised to CONTEXT (written once, then reused).
model_dir=$("${JAVA[@]}" -cp "$CP" io.fairlane.bench.engine.EngineApiBench model-dir --model-root target/bench-models \
  --shape "$SHAPE" --dtype "$DTYPE" --context "$CONTEXT" 2>/dev/null | tail -1)
vocab=$(sed -n 's/.*"vocab_size" *: *\([0-9]*\).*/\1/p' "$model_dir/config.json" | head -1)
vocab=$((vocab - 300))   # clear of the special and added tokens at the top of the built-in vocabulary

key_hash() { printf 'sha256:%s' "$(printf %s "$1" | sha256sum | cut -d' ' -f1)"; }
LIGHT_KEY=sk-bench-light HEAVY_KEY=sk-bench-heavy

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

# start_server POLICY: writes the config and starts the gateway; returns once /health/ready answers 200.
start_server() {
  local policy=$1 config=$work/fairlane-$1.yaml
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "port $PORT is taken by another process; set PORT" >&2
    exit 1
  fi
  cat >"$config" <<YAML
server: {host: 127.0.0.1, port: $PORT}
tenants:
  - {id: light, api_keys: ["$(key_hash $LIGHT_KEY)"], weight: 1, queue: {max_requests: 100000, max_tokens: 1000000000}}
  - {id: heavy, api_keys: ["$(key_hash $HEAVY_KEY)"], weight: 1, queue: {max_requests: 100000, max_tokens: 1000000000}}
models:
  - id: bench
    scheduler: {policy: $policy, quantum: ${QUANTUM:-4096}}
    local:
      path: $model_dir
      backend: cpu
      kv: {block_size: 16, cache_size: $KV}
      max_batch_tokens: 2048
      max_running_sequences: 32
      cpu_threads: 0
metrics: {enabled: true}
YAML
  FAIRLANE_HOME=$PWD "${JAVA[@]}" -XX:+UseG1GC ${BENCH_JAVA_OPTS:-} -cp "$CP" io.fairlane.gateway.Main serve \
    --config "$config" --port "$PORT" >"$work/server-$policy.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server-$policy.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "server did not become ready; see $work/server-$policy.log" >&2
  exit 1
}

bench() { "${JAVA[@]}" -cp "$CP" io.fairlane.bench.engine.EngineBench "$@" --base-url "http://127.0.0.1:$PORT/v1" \
  --model bench --vocab "$vocab" --ignore-eos true; }

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "model $SHAPE $DTYPE ctx $CONTEXT; $(date -u +%FT%TZ)"
if [ "$scenario" = all ] || [ "$scenario" = prefix ] || [ "$scenario" = concurrency ]; then
  start_server drr
  if [ "$scenario" = all ] || [ "$scenario" = prefix ]; then
    echo "== (a) prefix cache"
    bench prefix --api-key $LIGHT_KEY --prefix "${PREFIX:-4000}" --repeats "${REPEATS:-3}" | sed 's/^/[prefix] /'
  fi
  if [ "$scenario" = all ] || [ "$scenario" = concurrency ]; then
    echo "== (b) continuous batching"
    bench concurrency --api-key $LIGHT_KEY --streams "${STREAMS:-16}" --prompt "${PROMPT:-128}" \
      --max-tokens "${MAX_TOKENS:-128}" | sed 's/^/[concurrency] /'
  fi
  stop_server
fi
if [ "$scenario" = all ] || [ "$scenario" = fairness ]; then
  for policy in ${POLICIES:-fcfs drr}; do
    echo "== (c) two tenants, $policy"
    start_server "$policy"
    bench fairness --light-key $LIGHT_KEY --heavy-key $HEAVY_KEY --light-rps "${LIGHT_RPS:-1}" \
      --ratio "${RATIO:-10}" --seconds "${SECONDS_PER_PHASE:-30}" --prompt "${FAIR_PROMPT:-1024}" \
      --max-tokens "${FAIR_MAX_TOKENS:-16}" | sed "s/^/[fairness $policy] /"
    stop_server
  done
fi
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
