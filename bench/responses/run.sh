#!/usr/bin/env bash
# What the Responses API adds over chat completions: the same request sent to POST /v1/responses and to
# POST /v1/chat/completions of one gateway, interleaved open-loop at a fixed rate (io.fairlane.bench.responses.
# PairedLatency), on both kinds of lane, non-streaming and streaming:
#   upstream -> an upstream model in front of a stub (nginx answering a fixed chat completion or a 12-event stream;
#               /v1/responses is translated to a chat completion for it, as for any chat-only upstream)
#   local    -> the synthetic SHAPE model on the CPU engine, greedy, MAX_TOKENS tokens
# "Added" = the percentile through /v1/responses minus the same percentile through /v1/chat/completions, in the
# same run. Responses are stored (the API's default, store: true) in an embedded store under bench/responses/target.
#
#   bash bench/responses/run.sh   (env: UPSTREAM_RATE=500 LOCAL_RATE=20 SECONDS_PER_RUN=30 WARMUP=20 CONNS=16
#                                   SHAPE=tiny-llama MAX_TOKENS=16 PORT=19180 MVN_FLAGS=-o)
#
# Prints one key=value line per lane and mode, then a markdown table for docs/benchmarks.md.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$bench_root"
UPSTREAM_RATE=${UPSTREAM_RATE:-500} LOCAL_RATE=${LOCAL_RATE:-20} SECONDS_=${SECONDS_PER_RUN:-30}
WARMUP=${WARMUP:-20} CONNS=${CONNS:-16} SHAPE=${SHAPE:-tiny-llama} MAX_TOKENS=${MAX_TOKENS:-16}
PORT=${PORT:-19180} STUB_JSON=19101 STUB_SSE=19102
work=$bench_root/bench/responses/target
mkdir -p "$work/tmp"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench: needs nginx (apt-get install nginx), as bench/proxy/run.sh" >&2; exit 1; }
for port in $STUB_JSON $STUB_SSE $PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "bench: port $port is taken (another run?); stop it first" >&2; exit 1
  fi
done
bench_build

# The stub's fixed answers, as bench/proxy/run.sh has them.
completion='{"id":"chatcmpl-bench","object":"chat.completion","created":1727346172,"model":"bench","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}'
chunk() { printf 'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1727346172,"model":"bench","choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}\\n\\n' "$1" "$2"; }
sse=$(chunk '{"role":"assistant","content":""}' null)
for w in The quick brown fox jumps over the lazy dog again; do sse+=$(chunk "{\"content\":\" $w\"}" null); done
sse+=$(chunk '{}' '"stop"')
sse+='data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1727346172,"model":"bench","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22}}\n\ndata: [DONE]\n\n'
cat > "$work/stub.conf" <<CONF
worker_processes 1;
pid $work/stub.pid;
error_log $work/stub-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/tmp;
  server { listen 127.0.0.1:$STUB_JSON; location / { default_type application/json; return 200 '$completion'; } }
  server { listen 127.0.0.1:$STUB_SSE; location / { default_type text/event-stream; return 200 '$sse'; } }
}
CONF

model_dir=$("${BENCH_JAVA[@]}" -cp "$BENCH_CP" io.fairlane.bench.engine.EngineApiBench model-dir \
  --model-root target/bench-models --shape "$SHAPE" --dtype f32 --context 2048 2>/dev/null | tail -1)
key_hash=$(printf %s sk-bench | sha256sum | cut -d' ' -f1)
cat > "$work/fairlane.yaml" <<CONF
server: {host: 127.0.0.1, port: $PORT}
tenants:
  - id: bench
    api_keys: ["sha256:$key_hash"]
    queue: {max_requests: 1000000, max_tokens: 1000000000000}
models:
  - id: up-json
    upstream: {url: "http://127.0.0.1:$STUB_JSON/v1", max_concurrency: 4096, default_max_tokens: 16}
  - id: up-sse
    upstream: {url: "http://127.0.0.1:$STUB_SSE/v1", max_concurrency: 4096, default_max_tokens: 16}
  - id: local
    local:
      path: $model_dir
      backend: cpu
      kv: {block_size: 16, cache_size: 256MiB}
      max_batch_tokens: 2048
      max_running_sequences: 32
      cpu_threads: 0
metrics: {enabled: true}
storage: {directory: $work/state}
CONF

server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -f "$work/stub.pid" ] && kill "$(cat "$work/stub.pid")" 2>/dev/null || true
}
trap cleanup EXIT
"$NGINX" -c "$work/stub.conf" -e "$work/stub-error.log"
FAIRLANE_HOME=$bench_root FAIRLANE_ACCESS_LOG=OFF "${BENCH_JAVA[@]}" -XX:+UseG1GC ${BENCH_JAVA_OPTS:-} -cp "$BENCH_CP" \
  io.fairlane.gateway.Main serve --config "$work/fairlane.yaml" >"$work/fairlane.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/fairlane.log" >&2; exit 1; }
  sleep 0.5
done

chat() { printf '{"model":"%s","max_tokens":%s,"temperature":0,%s"messages":[{"role":"user","content":"Say something short."}]}' "$1" "$MAX_TOKENS" "$2"; }
resp() { printf '{"model":"%s","max_output_tokens":%s,"temperature":0,%s"input":"Say something short."}' "$1" "$MAX_TOKENS" "$2"; }
results=$work/results.txt
: > "$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for lane in upstream local; do
  for mode in json sse; do
    case $lane:$mode in
      upstream:json) model=up-json rate=$UPSTREAM_RATE ;;
      upstream:sse) model=up-sse rate=$UPSTREAM_RATE ;;
      local:*) model=local rate=$LOCAL_RATE ;;
    esac
    stream=""; [ "$mode" = sse ] && stream='"stream":true,'
    line=$("${BENCH_JAVA[@]}" -cp "$BENCH_CP" io.fairlane.bench.responses.PairedLatency --base "http://127.0.0.1:$PORT" \
      --a /v1/chat/completions --a-body "$(chat $model "$stream")" --b /v1/responses --b-body "$(resp $model "$stream")" \
      --rate "$rate" --seconds "$SECONDS_" --warmup "$WARMUP" --connections "$CONNS" \
      --header "Authorization: Bearer sk-bench") || echo "bench: $lane/$mode had errors" >&2
    echo "$lane $mode $line" | tee -a "$results" >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "### $(date -u +%Y-%m-%d) · $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')) · load average $load_before at start, $load_after at end"
echo
echo "\`bash bench/responses/run.sh\` (UPSTREAM_RATE=$UPSTREAM_RATE LOCAL_RATE=$LOCAL_RATE SECONDS_PER_RUN=$SECONDS_ WARMUP=$WARMUP CONNS=$CONNS SHAPE=$SHAPE MAX_TOKENS=$MAX_TOKENS)"
echo
echo "| lane | mode | req/s (both) | chat p50 µs | responses p50 µs | chat p99 µs | responses p99 µs | added p50 µs | added p99 µs | errors chat/responses | target (added p99 <= 1000 µs) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
awk '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  verdict = (v["sent"] == "" ? "no data" : (v["added_p99_us"] <= 1000 ? "met" : "missed"))
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s | %s |\n", $1, $2, v["rate"], v["a_p50_us"], v["b_p50_us"],
    v["a_p99_us"], v["b_p99_us"], v["added_p50_us"], v["added_p99_us"], v["a_errors"], v["b_errors"], verdict
  delete v }' "$results"
