#!/usr/bin/env bash
# The GPU runbook's end-to-end measurement: the whole gateway (io.fairlane.gateway.Main serve) with one local model,
# driven over HTTP by io.fairlane.bench.gateway.EndToEndLoad with two tenants ("light", and "heavy" at 10x its
# rate) sharing a long system prompt; then the same closed-loop workload on the engine API in a fresh JVM (the
# gateway stopped first, so the device is free), for the HTTP layer's cost. Writes e2e-http.json,
# e2e-direct.json and the logs into $E2E_OUT; bench/gpu/report.py --e2e builds the table.
#
# run-all.sh's `e2e` phase calls it with the bundle's JRE and classpath (the gateway and the load generator both come
# from the bench module's classpath):
#   FAIRLANE_JAVA="java ..." FAIRLANE_CP=... FAIRLANE_TOKENIZERS=dir E2E_OUT=dir bash bench/gpu/e2e.sh [--cpu-smoke]
#
# Default: backend cuda, synthetic llama-3.2-1b in bf16 with the real Llama 3 tokenizer (vocabulary 128256, so
# the embedding and lm_head weigh what the real model's do), written by the engine's own `ModelCli synth`.
# --cpu-smoke: backend cpu, shape tiny (f32), a light load; the same path end to end, for a machine without a GPU.
# Environment overrides: E2E_BACKEND, E2E_SHAPE, E2E_DTYPE, E2E_PORT (a free one), E2E_LOAD (load generator options,
# see EndToEndLoad), E2E_OVERLAP (true: the engine loop a step ahead of the device; false: one step at a time),
# E2E_WORK (/tmp/fairlane-e2e: model, config, cache).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
: "${FAIRLANE_JAVA:?FAIRLANE_JAVA (java command) is required}" "${FAIRLANE_CP:?FAIRLANE_CP (classpath) is required}"
out=${E2E_OUT:-$root/target/e2e}
work=${E2E_WORK:-/tmp/fairlane-e2e}
mkdir -p "$out" "$work"
# a free port unless one is given: on a shared machine another server may hold any fixed one
port=${E2E_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

if [ "${1:-}" = "--cpu-smoke" ]; then
  backend=${E2E_BACKEND:-cpu} shape=${E2E_SHAPE:-tiny} dtype=${E2E_DTYPE:-f32}
  load=${E2E_LOAD:---system 256 --suffix 16 --max-tokens 16 --light-rps 0.5 --ratio 10 --seconds 8
    --concurrency 8 --requests 32 --throughput-max-tokens 32}
  heap=2g kv="cache_size: 256MiB" batch_tokens=2048 running=64
else
  backend=${E2E_BACKEND:-cuda} shape=${E2E_SHAPE:-llama-3.2-1b} dtype=${E2E_DTYPE:-bf16}
  load=${E2E_LOAD:---system 1024 --suffix 64 --max-tokens 128 --light-rps 1 --ratio 10 --seconds 25
    --concurrency 64 --requests 256 --throughput-max-tokens 128}
  heap=8g kv="cache_size: 0, device_memory_fraction: 0.85" batch_tokens=4096 running=128
fi
# shellcheck disable=SC2206
JAVA=($FAIRLANE_JAVA "-Xmx$heap")
log() { echo "[e2e $(date -u +%H:%M:%S)] $*"; }

# --- the model: synthetic weights with a real tokenizer when the bundle carries one ------------------------------
tok=${FAIRLANE_TOKENIZERS:-}/llama3/package/models
if [ -f "$tok/tokenizer.json" ]; then
  model_dir=$work/models/$shape-$dtype-llama3
  if [ ! -f "$model_dir/config.json" ]; then
    log "synthesising $shape ($dtype) with the Llama 3 tokenizer into $model_dir"
    t0=$(date +%s)
    "${JAVA[@]}" -cp "$FAIRLANE_CP" io.fairlane.engine.tools.ModelCli synth --shape "$shape" --dtype "$dtype" \
      --tokenizer "$tok" --out "$model_dir" || { log "synthesis failed"; exit 1; }
    log "synthesis took $(( $(date +%s) - t0 )) s"
  fi
  source_yaml="path: $model_dir"
  vocab=$(sed -n 's/.*"vocab_size"[^0-9]*\([0-9]*\).*/\1/p' "$model_dir/config.json" | head -1)
else
  log "no Llama 3 tokenizer in the bundle: the engine synthesises $shape with its built-in tokenizer (vocabulary 1536)"
  source_yaml="synthetic: {shape: $shape, dtype: $dtype, seed: 1}"
  vocab=1536
fi

label="backend $backend, $shape $dtype, vocabulary $vocab"
# --- the gateway's configuration: two tenants with their own keys, one local model --------------------------------
light_key=sk-e2e-light heavy_key=sk-e2e-heavy
hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
config=$work/fairlane-e2e.yaml
cat > "$config" <<YAML
# Written by bench/gpu/e2e.sh.
server:
  host: 127.0.0.1
  port: $port
  cache_dir: $work/cache
tenants:
  - id: light
    api_keys: ["sha256:$(hash $light_key)"]
    weight: 1
    queue: {max_requests: 100000, max_tokens: 1000000000}
  - id: heavy
    api_keys: ["sha256:$(hash $heavy_key)"]
    weight: 1
    queue: {max_requests: 100000, max_tokens: 1000000000}
models:
  - id: e2e-model
    scheduler: {policy: drr, quantum: 4096}
    local:
      $source_yaml
      backend: $backend
      kv: {block_size: 16, $kv}
      max_batch_tokens: $batch_tokens
      max_running_sequences: $running
      overlap: ${E2E_OVERLAP:-true}
metrics:
  enabled: true
YAML

# --- over HTTP ----------------------------------------------------------------------------------------------------
log "starting the gateway (backend $backend, $shape, port $port)"
"${JAVA[@]}" -cp "$FAIRLANE_CP" io.fairlane.gateway.Main serve --config "$config" >"$out/e2e-gateway.log" 2>&1 &
gw=$!
stop_gateway() {
  kill -TERM "$gw" 2>/dev/null || return 0
  for _ in $(seq 1 40); do kill -0 "$gw" 2>/dev/null || return 0; sleep 1; done
  kill -KILL "$gw" 2>/dev/null
}
trap stop_gateway EXIT
# Ready means this process answers /health/ready with 200 (models loaded); a gateway that exits (a port taken, a
# model refused) ends the run here instead of letting the load generator talk to someone else's server.
ready=0
for _ in $(seq 1 600); do
  kill -0 "$gw" 2>/dev/null || break
  if python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/health/ready', timeout=2)" \
      2>/dev/null; then ready=1; break; fi
  sleep 0.5
done
if [ "$ready" -ne 1 ]; then
  log "the gateway did not become ready; its log:"
  tail -30 "$out/e2e-gateway.log"
  exit 1
fi
log "gateway ready"
# shellcheck disable=SC2086
timeout 600 "${JAVA[@]}" -cp "$FAIRLANE_CP" io.fairlane.bench.gateway.EndToEndLoad http \
  --base-url "http://127.0.0.1:$port" --model e2e-model --light-key $light_key --heavy-key $heavy_key \
  --vocab "$vocab" $load --label "$label" --out "$out/e2e-http.json"
http_rc=$?
log "load generator over HTTP exit $http_rc"
curl_metrics() {  # the gateway's own view of the prefix cache, for the log (python3, as curl may be missing)
  python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
print("\n".join(l for l in text.splitlines() if l.startswith("fairlane_prefix_cache") or
                l.startswith("fairlane_engine_generated_tokens")))
PY
}
curl_metrics >"$out/e2e-metrics.txt" || true
stop_gateway
trap - EXIT
kill -0 "$gw" 2>/dev/null && log "the gateway did not stop" || log "gateway stopped"

# --- the engine API directly, same configuration and workload ---------------------------------------------------
# shellcheck disable=SC2086
timeout 400 "${JAVA[@]}" -cp "$FAIRLANE_CP" io.fairlane.bench.gateway.EndToEndLoad direct \
  --config "$config" --model e2e-model --vocab "$vocab" $load --label "$label" --out "$out/e2e-direct.json"
direct_rc=$?
log "load generator in-process exit $direct_rc"
[ "$http_rc" -eq 0 ] && [ "$direct_rc" -eq 0 ]
