#!/usr/bin/env bash
# Files and batches: a real Fairlane gateway (the class and JVM flags that `./fairlane serve` runs, from the benchmark
# module's classpath, bench/lib.sh) driven by io.fairlane.bench.batches.BatchBench.
#
#   bench/batches/run.sh [all|isolation|throughput|durability]
#
# isolation:  a synthetic SHAPE model on the CPU backend; tenant "live" sends streamed completions at
#             INTERACTIVE_RPS (Poisson, PROMPT tokens in, MAX_TOKENS out), tenant "batch" (flex tier) runs an
#             ISO_LINES-line batch of the same shape. On one server: an unmeasured warm-up (WARMUP_SECONDS of live
#             beside a batch a tenth the size: a fresh server runs its first requests in the interpreter), then live
#             alone for LIVE_SECONDS, the batch alone, the batch again with live beside it. Prints live's p50/p99
#             TTFT solo and with the batch (target: p99 ratio <= 1.5) and the batch's lines/s against the capacity
#             live leaves idle (target: >= 0.80).
# throughput: a THROUGHPUT_LINES-line chat batch against a stub upstream that answers at once (BatchBench stub);
#             prints validation, in-progress and finalization times and lines/s (target: >= 1,000).
# durability: gateway-core's BatchCrashTest with KILLS kill -9s at random points (by lines answered) of a
#             CRASH_LINES-line batch, each followed by a restart on the same store; passes when the batch completes
#             with every custom_id in the output exactly once (the test's assertions).
# Knobs (environment): SHAPE (tiny-llama) DTYPE (f32) PORT (28419) STUB_PORT (28418) ISO_LINES (1000)
# INTERACTIVE_RPS (2) LIVE_SECONDS (60) WARMUP_SECONDS (20) PROMPT (256) MAX_TOKENS (16) THROUGHPUT_LINES (10000)
# KILLS (5) CRASH_LINES (3000) BATCH_IN_FLIGHT (unset: batches.max_in_flight_per_batch's default) MVN_FLAGS (-o).
# Output: key=value lines per scenario (copy them into docs/benchmarks.md); server logs under target/bench-batches/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
scenario=${1:-all}
case "$scenario" in
  all|isolation|throughput|durability) ;;
  *) echo "usage: $0 [all|isolation|throughput|durability]" >&2; exit 2 ;;
esac
SHAPE=${SHAPE:-tiny-llama} DTYPE=${DTYPE:-f32} PORT=${PORT:-28419} STUB_PORT=${STUB_PORT:-28418}
work=$bench_root/target/bench-batches
mkdir -p "$work"

bench_build
CP=$BENCH_CP
JAVA=("${BENCH_JAVA[@]}")

key_hash() { printf 'sha256:%s' "$(printf %s "$1" | sha256sum | cut -d' ' -f1)"; }
LIVE_KEY=sk-bench-live BATCH_KEY=sk-bench-batch

pids=()
stop_all() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT

# start_server NAME: starts the gateway on $work/fairlane-NAME.yaml (written by the caller) with a fresh store under
# $work/state-NAME; returns once /health/ready answers 200.
start_server() {
  local name=$1
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "port $PORT is taken by another process; set PORT" >&2
    exit 1
  fi
  FAIRLANE_HOME=$PWD FAIRLANE_ACCESS_LOG=OFF "${JAVA[@]}" -XX:+UseG1GC ${BENCH_JAVA_OPTS:-} -cp "$CP" \
    io.fairlane.gateway.Main serve --config "$work/fairlane-$name.yaml" --port "$PORT" >"$work/server-$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/server-$name.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "server did not become ready; see $work/server-$name.log" >&2
  exit 1
}

batches_yaml() {
  if [ -n "${BATCH_IN_FLIGHT:-}" ]; then echo "batches: {max_in_flight_per_batch: $BATCH_IN_FLIGHT}"; fi
}

bench() { "${JAVA[@]}" -cp "$CP" io.fairlane.bench.batches.BatchBench "$@"; }

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$(date -u +%FT%TZ)"

if [ "$scenario" = all ] || [ "$scenario" = isolation ]; then
  model_dir=$("${JAVA[@]}" -cp "$CP" io.fairlane.bench.engine.EngineApiBench model-dir --model-root target/bench-models \
    --shape "$SHAPE" --dtype "$DTYPE" --context 4096 2>/dev/null | tail -1)
  vocab=$(sed -n 's/.*"vocab_size" *: *\([0-9]*\).*/\1/p' "$model_dir/config.json" | head -1)
  vocab=$((vocab - 300))   # clear of the special and added tokens at the top of the built-in vocabulary
  rm -rf "$work/state-isolation"
  cat >"$work/fairlane-isolation.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
tenants:
  - {id: live, api_keys: ["$(key_hash $LIVE_KEY)"], queue: {max_requests: 100000, max_tokens: 1000000000}}
  - {id: batch, api_keys: ["$(key_hash $BATCH_KEY)"], service_tiers: [default, flex]}
models:
  - id: bench
    local:
      path: $model_dir
      backend: cpu
      kv: {block_size: 16, cache_size: 256MiB}
      max_batch_tokens: 2048
      max_running_sequences: 32
      cpu_threads: 0
storage: {directory: "$work/state-isolation"}
$(batches_yaml)
YAML
  echo "== isolation: model $SHAPE $DTYPE, load $(cut -d' ' -f1-3 /proc/loadavg)"
  start_server isolation
  bench isolation --base-url "http://127.0.0.1:$PORT/v1" --model bench --vocab "$vocab" \
    --interactive-key $LIVE_KEY --batch-key $BATCH_KEY --lines "${ISO_LINES:-1000}" \
    --interactive-rps "${INTERACTIVE_RPS:-2}" --seconds "${LIVE_SECONDS:-60}" --warmup-s "${WARMUP_SECONDS:-20}" \
    --prompt "${PROMPT:-256}" --max-tokens "${MAX_TOKENS:-16}" | sed 's/^/[isolation] /'
  stop_all
fi

if [ "$scenario" = all ] || [ "$scenario" = throughput ]; then
  rm -rf "$work/state-throughput"
  cat >"$work/fairlane-throughput.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
tenants:
  - {id: batch, api_keys: ["$(key_hash $BATCH_KEY)"], service_tiers: [default, flex]}
models:
  - id: stub
    upstream: {url: "http://127.0.0.1:$STUB_PORT/v1", max_concurrency: 256}
storage: {directory: "$work/state-throughput"}
$(batches_yaml)
YAML
  echo "== throughput: load $(cut -d' ' -f1-3 /proc/loadavg)"
  # The JVM itself in the background (not a function's subshell), so that stop_all's kill reaches it.
  "${JAVA[@]}" -cp "$CP" io.fairlane.bench.batches.BatchBench stub --port "$STUB_PORT" >"$work/stub.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    grep -q "stub listening" "$work/stub.log" 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/stub.log" >&2; exit 1; }
    sleep 0.5
  done
  start_server throughput
  bench throughput --base-url "http://127.0.0.1:$PORT/v1" --model stub --api-key $BATCH_KEY \
    --lines "${THROUGHPUT_LINES:-10000}" | sed 's/^/[throughput] /'
  stop_all
fi

if [ "$scenario" = all ] || [ "$scenario" = durability ]; then
  echo "== durability: ${KILLS:-5} kills, ${CRASH_LINES:-3000} lines, load $(cut -d' ' -f1-3 /proc/loadavg)"
  # -am: the modules gateway-core needs come from this tree, not from whatever the local repository holds.
  # shellcheck disable=SC2086
  ./mvnw -B ${MVN_FLAGS:-} -pl gateway-core -am -Dfairlane.skipNpm=true -Dfairlane.fuzz.skip=true test -Dtest=BatchCrashTest \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfairlane.batch.crash.kills="${KILLS:-5}" \
    -Dfairlane.batch.crash.lines="${CRASH_LINES:-3000}" >"$work/durability.log" 2>&1 && ok=PASS || ok=FAIL
  grep -h "batch crash test:" "$work/durability.log" gateway-core/target/surefire-reports/*BatchCrashTest*-output.txt \
    2>/dev/null | sort -u | sed 's/^/[durability] /' || true
  grep -E "Tests run:|FAIL|expected" "$work/durability.log" | head -5 | sed 's/^/[durability] /' || true
  echo "[durability] result=$ok (log: $work/durability.log)"
  [ "$ok" = PASS ]
fi
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
