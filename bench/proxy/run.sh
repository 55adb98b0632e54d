#!/usr/bin/env bash
# Gateway proxy overhead, in one run (issue 2). Measures the same fixed completion three ways:
#   direct   -> the stub upstream (nginx answering a fixed body, `return 200`)
#   nginx    -> nginx as a plain reverse proxy in front of the stub (proxy_pass, keep-alive upstream pool,
#               as many workers as Fairlane has event loops)
#   fairlane -> Fairlane in front of the stub (an upstream model; tenant scheduler, auth, metrics all on)
# for a non-streaming JSON completion and a streamed one (12 SSE events), with
#   - wrk, closed loop, for the most requests/s each can serve, and
#   - bench/proxy/FixedRate.java, open loop at a fixed rate (default 1,000 req/s), for latency percentiles
#     counted from each request's due time (wrk2 is not in Debian; this is a small JDK-only stand-in).
# "Added" latency = percentile through the proxy minus the same percentile direct, in the same run.
#
#   bench/proxy/run.sh            (env: RATE=1000 SECONDS=20 WRK_SECONDS=15 CONNS=32 LOOPS=2)
#
# Needs Debian's nginx and wrk (installed here when missing, as root or through sudo) and a JDK 25 (the
# launcher finds it). Everything runs on this machine, sharing its cores: the load generators take CPU
# from the servers they measure, the same for all three.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$root/bench/proxy/target
mkdir -p "$work"
RATE=${RATE:-1000}
SECONDS_=${SECONDS:-20}
WRK_SECONDS=${WRK_SECONDS:-15}
CONNS=${CONNS:-32}
LOOPS=${LOOPS:-2}
STUB_JSON=19001 STUB_SSE=19002 NGX_JSON=19011 NGX_SSE=19012 FAIRLANE=19080

install_missing() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "bench: installing ${missing[*]} from Debian" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
install_missing
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# The fixed answers: a chat.completion, and a 12-event stream (role, 10 content chunks, finish) + usage + [DONE].
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
  client_body_temp_path $work/tmp-stub;
  server { listen 127.0.0.1:$STUB_JSON; location / { default_type application/json; return 200 '$completion'; } }
  server { listen 127.0.0.1:$STUB_SSE; location / { default_type text/event-stream; return 200 '$sse'; } }
}
CONF
cat > "$work/proxy.conf" <<CONF
worker_processes $LOOPS;
pid $work/proxy.pid;
error_log $work/proxy-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/tmp-proxy;
  upstream stub_json { server 127.0.0.1:$STUB_JSON; keepalive 256; }
  upstream stub_sse { server 127.0.0.1:$STUB_SSE; keepalive 256; }
  server { listen 127.0.0.1:$NGX_JSON;
    location / { proxy_pass http://stub_json; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$NGX_SSE;
    location / { proxy_pass http://stub_sse; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } }
}
CONF
key_hash=$(printf %s sk-bench | sha256sum | cut -d' ' -f1)
cat > "$work/fairlane.yaml" <<CONF
server: {host: 127.0.0.1, port: $FAIRLANE, event_loops: $LOOPS, cache_dir: $work/cache}
tenants:
  - id: bench
    api_keys: ["sha256:$key_hash"]
    queue: {max_requests: 1000000, max_tokens: 1000000000000}
models:
  - id: bench-json
    upstream: {url: "http://127.0.0.1:$STUB_JSON/v1", max_concurrency: 4096, default_max_tokens: 16}
  - id: bench-sse
    upstream: {url: "http://127.0.0.1:$STUB_SSE/v1", max_concurrency: 4096, default_max_tokens: 16}
metrics: {enabled: true}
CONF

pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -f "$work/stub.pid" ] && kill "$(cat "$work/stub.pid")" 2>/dev/null || true
  [ -f "$work/proxy.pid" ] && kill "$(cat "$work/proxy.pid")" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$work/tmp-stub" "$work/tmp-proxy"
"$NGINX" -c "$work/stub.conf" -e "$work/stub-error.log"
"$NGINX" -c "$work/proxy.conf" -e "$work/proxy-error.log"

"$root/fairlane" build >/dev/null
FAIRLANE_ACCESS_LOG=OFF "$root/fairlane" serve --config "$work/fairlane.yaml" >"$work/fairlane.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$FAIRLANE/health/ready" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$FAIRLANE/health/ready" >/dev/null || { echo "bench: Fairlane did not start; see $work/fairlane.log" >&2; exit 1; }
JAVA_BIN=""
for c in "${JAVA_HOME:-}" /usr/lib/jvm/*; do  # the same JDK >= 25 the launcher picks, for FixedRate.java
  [ -x "$c/bin/java" ] || continue
  v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | cut -d. -f1)
  if [ -n "$v" ] && [ "$v" -ge 25 ]; then JAVA_BIN=$c/bin/java; break; fi
done
[ -n "$JAVA_BIN" ] || { echo "bench: no JDK 25 found for FixedRate.java" >&2; exit 1; }

body() { printf '{"model":"%s","max_tokens":16,%s"messages":[{"role":"user","content":"Say something short."}]}' "$1" "$2"; }
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
LUA

url_for() { # target mode
  case "$1:$2" in
    direct:json) echo "http://127.0.0.1:$STUB_JSON/v1/chat/completions" ;;
    direct:sse) echo "http://127.0.0.1:$STUB_SSE/v1/chat/completions" ;;
    nginx:json) echo "http://127.0.0.1:$NGX_JSON/v1/chat/completions" ;;
    nginx:sse) echo "http://127.0.0.1:$NGX_SSE/v1/chat/completions" ;;
    fairlane:*) echo "http://127.0.0.1:$FAIRLANE/v1/chat/completions" ;;
  esac
}

results=$work/results.txt
: > "$results"
for mode in json sse; do
  if [ "$mode" = json ]; then b=$(body bench-json ""); else b=$(body bench-sse '"stream":true,'); fi
  for target in direct nginx fairlane; do
    url=$(url_for $target $mode)
    # Warm-up (JIT for Fairlane, connection pools for all), then the closed-loop maximum.
    BENCH_BODY=$b wrk -t1 -c"$CONNS" -d5s -s "$work/post.lua" "$url" >/dev/null
    rps=$(BENCH_BODY=$b wrk -t1 -c"$CONNS" -d"${WRK_SECONDS}s" -s "$work/post.lua" "$url" | awk '/Requests\/sec/ {print $2}')
    lat=$("$JAVA_BIN" "$root/bench/proxy/FixedRate.java" --url "$url" --rate "$RATE" --seconds "$SECONDS_" --warmup 3 \
          --connections "$CONNS" --body "$b" --header "Authorization: Bearer sk-bench")
    echo "$mode $target rps=$rps $lat" | tee -a "$results"
  done
done

echo
echo "## Results ($(date -u +%Y-%m-%d), $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'))"
echo
echo "| mode | target | max req/s (wrk -t1 -c$CONNS) | p50 µs | p99 µs | added p50 µs | added p99 µs | errors |"
echo "|---|---|---|---|---|---|---|---|"
awk '
{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$1 SUBSEP $2 SUBSEP kv[1]] = kv[2] } modes[$1]; targets[$2] }
END {
  split("json sse", ms, " "); split("direct nginx fairlane", ts, " ")
  for (m = 1; m <= 2; m++) for (t = 1; t <= 3; t++) {
    M = ms[m]; T = ts[t]
    p50 = v[M SUBSEP T SUBSEP "p50_us"]; p99 = v[M SUBSEP T SUBSEP "p99_us"]
    d50 = p50 - v[M SUBSEP "direct" SUBSEP "p50_us"]; d99 = p99 - v[M SUBSEP "direct" SUBSEP "p99_us"]
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", M, T, v[M SUBSEP T SUBSEP "rps"], p50, p99,
      (T == "direct" ? "-" : d50), (T == "direct" ? "-" : d99), v[M SUBSEP T SUBSEP "errors"]
  }
  for (m = 1; m <= 2; m++) {
    M = ms[m]; printf "\n%s: Fairlane max req/s = %.0f%% of nginx-as-proxy\n", M, 100 * v[M SUBSEP "fairlane" SUBSEP "rps"] / v[M SUBSEP "nginx" SUBSEP "rps"]
  }
}' "$results"
