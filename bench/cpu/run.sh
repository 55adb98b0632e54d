#!/usr/bin/env bash
# CPU engine benchmark: decode tokens/s of synthetic llama-110m and qwen3-0.6b at batch 1 and 16, beside this
# machine's measured memory read bandwidth. Results go to stdout and bench/cpu/target/results-<date>.txt.
#
#   bench/cpu/run.sh                  # bf16 weights, both models, batch 1 and 16
#   DTYPE=f32 bench/cpu/run.sh        # f32 weights
#   MODELS=llama-110m BATCHES=1,4,16 TOKENS=64 bench/cpu/run.sh
#   MODELS=llama-110m WARMUP=96 bench/cpu/run.sh     # more untimed steps (default 8) so that the JIT has compiled
#                                                     # every tile kernel before batch 1 is timed
#
# Needs a JDK 25 (JAVA_HOME or /usr/lib/jvm/*25*). Builds the benchmark module (bench/lib.sh), writes the synthetic
# models once under bench/cpu/target/ (what `./fairlane model synth` writes; about 1.5 GB for bf16), measures them
# with io.fairlane.bench.engine.CpuBench, and runs nothing in the background. Run it on an otherwise idle machine.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
root=$bench_root
work=$root/bench/cpu/target
dtype=${DTYPE:-bf16}
models=${MODELS:-llama-110m qwen3-0.6b}
batches=${BATCHES:-1,16}
tokens=${TOKENS:-32}
threads=${THREADS:-0}
warmup=${WARMUP:-8}
mkdir -p "$work"

bench_build
java_with() {  # java_with MAIN ARGS...: the benchmark JVM, its incubator-module notice filtered out
  "${BENCH_JAVA[@]}" -Xmx4g -cp "$BENCH_CP" "$@" 2> >(grep -v 'Using incubator modules' >&2)
}
model_cli() { java_with io.fairlane.engine.tools.ModelCli "$@"; }
cpu_bench() { java_with io.fairlane.bench.engine.CpuBench "$@"; }

# A plain word-level tokenizer of the given vocabulary size: the forward pass only needs the size, and these
# match the real checkpoints' embedding rows (Llama 2: 32000; Qwen3: 151936).
tokenizer() {  # tokenizer VOCAB DIR
  local vocab=$1 dir=$2
  [ -f "$dir/tokenizer.json" ] && return 0
  mkdir -p "$dir"
  awk -v n="$vocab" 'BEGIN {
    printf "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"special\":true},"
    printf "{\"id\":1,\"content\":\"<s>\",\"special\":true},{\"id\":2,\"content\":\"</s>\",\"special\":true}],"
    printf "\"model\":{\"type\":\"WordLevel\",\"unk_token\":\"<unk>\",\"vocab\":{\"<unk>\":0,\"<s>\":1,\"</s>\":2"
    for (i = 3; i < n; i++) printf ",\"t%d\":%d", i, i
    printf "}}}\n" }' > "$dir/tokenizer.json"
  printf '{"bos_token":"<s>","eos_token":"</s>"}\n' > "$dir/tokenizer_config.json"
}

vocab_of() {
  case "$1" in
    llama-110m|tiny*) echo 32000 ;;
    qwen*) echo 151936 ;;
    llama-3*) echo 128256 ;;
    *) echo 32000 ;;
  esac
}

out=$work/results-$(date -u +%Y%m%dT%H%M%SZ).txt
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores visible," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
  echo "java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "dtype: $dtype, threads: ${threads} (0 = all), decode steps timed: $tokens, untimed first: $warmup"
  cpu_bench bandwidth --gib 2 --seconds 6 ${THREADS:+--threads $THREADS}
  for m in $models; do
    v=$(vocab_of "$m")
    tokenizer "$v" "$work/tokenizer-$v"
    dir=$work/models/$m-$dtype
    model_cli synth --shape "$m" --tokenizer "$work/tokenizer-$v" --dtype "$dtype" --seed 1 --out "$dir" >&2
    cpu_bench bench --model "$dir" --batch "$batches" --tokens "$tokens" --threads "$threads" --warmup "$warmup"
  done
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
echo "results in $out" >&2
