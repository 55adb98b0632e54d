#!/usr/bin/env bash
# The GPU session's runbook: everything the CUDA backend needs a GPU for (correctness against references and
# transformers, the device benchmark, the gateway end to end), in phases, on a GPU host that has an NVIDIA driver,
# PyTorch, transformers and numpy but no JDK, Maven or network. Run from the project root with the bundle built
# beforehand on a build machine (carry .gpu-bundle to the GPU host):
#
#   bash bench/gpu/prepare-bundle.sh
#
# then, on the GPU host (one device call each; each phase has its own time cap):
#
#   bash bench/gpu/run-all.sh env tests sanitizer transformers     # correctness: ~6 minutes
#   bash bench/gpu/run-all.sh bench                                # device measurements: ~8 minutes
#   bash bench/gpu/run-all.sh e2e                                  # the gateway end to end over HTTP: ~4 minutes
#
# Phases:
#   env          nvidia-smi, toolchain and Python package versions, what the CUDA backend finds (probe, kernels, cuBLAS)
#   tests        the gpu-tagged JUnit suite (kernels vs references, runner vs reference model, graphs, cuBLAS)
#   sanitizer    compute-sanitizer memcheck (with leak check) on the kernel suite and a graph-replay run,
#                racecheck on the attention kernels
#   transformers check-against-transformers.py: logits and greedy continuations vs transformers, every family
#   bench        GpuBenchmark (Fairlane, from the bench module) on llama-3.2-1b and llama-3.1-8b shapes,
#                torch_baseline.py, report.py
#   e2e          bench/gpu/e2e.sh: the whole gateway with backend cuda on synthetic llama-3.2-1b, two tenants over
#                HTTP (light, heavy at 10x) with a shared system prompt, then the same load on the engine API
#                in-process; report.py --e2e. E2E_FLAGS=--cpu-smoke runs it on the CPU with a tiny model (the
#                rehearsal on a machine without a GPU; E2E_BACKEND, E2E_SHAPE, E2E_LOAD... see e2e.sh)
#
# Output goes to $OUT (the device tool's folder; target/gpu-run otherwise): summary.md (every phase's verdict and
# tables), one log per phase, and results.tar.gz (JUnit XML, JSON results, logits). At most 8 files, as the device
# tool returns no more.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=${OUT:-$root/target/gpu-run}
mkdir -p "$out"
raw=$(mktemp -d /tmp/fairlane-raw.XXXX)
summary=$out/summary.md
phases=("$@")
[ ${#phases[@]} -eq 0 ] && phases=(env tests sanitizer transformers bench)

note() { echo "$*" | tee -a "$summary"; }

# --- the bundle: a jlink'd JRE; every module's classes, the test classes of gateway-cuda, gateway-engine and bench,
# and their jars, in one classpath (gpu-bundle.sh); the real tokenizers (prepare-bundle.sh) -------------------------
bundle=$root/.gpu-bundle
dest=${BUNDLE_DIR:-/tmp/fairlane-gpu}
if [ ! -x "$dest/jre/bin/java" ] || [ "$bundle/app.tar.xz" -nt "$dest/.unpacked" ] \
    || { [ -f "$bundle/tokenizers.tar.xz" ] && [ "$bundle/tokenizers.tar.xz" -nt "$dest/.unpacked" ]; }; then
  if [ ! -f "$bundle/app.tar.xz" ]; then
    note "no bundle at $bundle: build it first (see the header of this script)"
    exit 2
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  tar -C "$dest" -xJf "$bundle/jre.tar.xz" && tar -C "$dest" -xJf "$bundle/app.tar.xz"
  [ -f "$bundle/tokenizers.tar.xz" ] && tar -C "$dest" -xJf "$bundle/tokenizers.tar.xz"
  touch "$dest/.unpacked"
fi
JAVA="$dest/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m"
# real tokenizers added by prepare-bundle.sh, for the tests that pair synthetic models with them
[ -d "$dest/tokenizers" ] && JAVA="$JAVA -Dfairlane.tokenizer.packages=$dest/tokenizers"
CP="$dest/app/classes:$(ls "$dest"/app/lib/*.jar | tr '\n' ':')"
JUNIT="$dest/app/junit-platform-console-standalone.jar"
PY=${PYTHON:-python3}

note "# Fairlane GPU run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
note ""

for phase in "${phases[@]}"; do
  case "$phase" in
  env)
    log=$out/env.log
    {
      nvidia-smi || true
      nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv || true
      command -v nvcc >/dev/null && nvcc --version | tail -2
      command -v compute-sanitizer >/dev/null && compute-sanitizer --version | head -2
      $PY -c "import torch, transformers, numpy; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'transformers', transformers.__version__, 'numpy', numpy.__version__)" 2>&1
      # shellcheck disable=SC2086
      $JAVA -cp "$CP" io.fairlane.engine.cuda.GpuEnvironment
    } >"$log" 2>&1
    note "## env"
    note '```'
    grep -E 'CUDA device|CUDA unavailable|kernel modules|libcublas|^torch|NVIDIA-SMI|Cuda compilation' "$log" | tee -a "$summary"
    note '```'
    ;;
  tests)
    log=$out/tests.log
    # shellcheck disable=SC2086
    timeout 300 $JAVA -jar "$JUNIT" execute --class-path "$CP" --disable-banner --disable-ansi-colors --details=tree --scan-class-path \
      --include-tag gpu --reports-dir "$raw/junit" >"$log" 2>&1
    rc=$?
    note "## gpu-tagged tests (exit $rc)"
    note '```'
    grep -E 'tests (successful|failed|aborted|skipped|found)|containers (failed|aborted)' "$log" | tee -a "$summary"
    grep -E '✘|Assumption failed|=> ' "$log" | head -40 | tee -a "$summary"
    note '```'
    ;;
  sanitizer)
    log=$out/sanitizer.log
    if ! command -v compute-sanitizer >/dev/null; then
      note "## compute-sanitizer: not installed here"
      continue
    fi
    {
      echo "### memcheck --leak-check full: kernel suite (contexts x1) and graph replay"
      # shellcheck disable=SC2086
      timeout 240 compute-sanitizer --tool memcheck --leak-check full --error-exitcode 3 --print-limit 30 \
        $JAVA -Dfairlane.gpu.contextScale=1 -jar "$JUNIT" execute --class-path "$CP" --disable-banner --disable-ansi-colors \
        --details=summary --include-tag gpu --select-class io.fairlane.engine.cuda.GpuKernelTest \
        --select-method 'io.fairlane.engine.cuda.GpuRunnerTest#graphReplay_decodeSteps_sameTokensAsEager'
      echo "memcheck exit: $?"
      echo "### racecheck: attention kernels (shared memory hazards)"
      # shellcheck disable=SC2086
      timeout 150 compute-sanitizer --tool racecheck --error-exitcode 3 --print-limit 30 \
        $JAVA -Dfairlane.gpu.contextScale=1 -jar "$JUNIT" execute --class-path "$CP" --disable-banner --disable-ansi-colors \
        --details=summary --include-tag gpu \
        --select-method 'io.fairlane.engine.cuda.GpuKernelTest#prefillAttention_chunksWithCachedPrefix_matchReferenceCausalAttention(int,int,int,int,int)' \
        --select-method 'io.fairlane.engine.cuda.GpuKernelTest#pagedDecode_scatteredPages_matchesReferenceAttention(int,int,int,int,int)'
      echo "racecheck exit: $?"
    } >"$log" 2>&1
    note "## compute-sanitizer"
    note '```'
    grep -E 'ERROR SUMMARY|LEAK SUMMARY|RACECHECK SUMMARY|exit:|tests (successful|failed)|Invalid|Race|Error' "$log" \
      | head -40 | tee -a "$summary"
    note '```'
    ;;
  transformers)
    log=$out/transformers.log
    timeout 300 $PY bench/gpu/check-against-transformers.py --java "$JAVA" --classpath "$CP" --out "$raw/transformers" \
      >"$log" 2>&1
    rc=$?
    note "## check against transformers (exit $rc)"
    [ -f "$raw/transformers/transformers-check.md" ] && cat "$raw/transformers/transformers-check.md" | tee -a "$summary"
    ;;
  bench)
    log=$out/bench.log
    mkdir -p "$raw/bench"
    {
      for shape in llama-3.2-1b llama-3.1-8b; do
        # shellcheck disable=SC2086
        timeout 150 $JAVA -Xmx48g -cp "$CP" io.fairlane.engine.cuda.GpuBenchmark --shape "$shape" \
          --out "$raw/bench/fairlane-$shape.json"
        echo "GpuBenchmark $shape exit: $?"
      done
      timeout 330 $PY bench/gpu/torch_baseline.py --out "$raw/bench/torch.json" --budget-seconds 300
      echo "torch_baseline exit: $?"
    } >"$log" 2>&1
    $PY bench/gpu/report.py --torch "$raw/bench/torch.json" --fairlane "$raw/bench"/fairlane-*.json \
      --out "$raw/bench/report.md" >>"$log" 2>&1
    note "## device benchmark"
    if [ -f "$raw/bench/report.md" ]; then
      cat "$raw/bench/report.md" | tee -a "$summary"
    else  # no table: say why (a CUDA probe refusal, a missing torch) instead of an empty section
      note '```'
      grep -E ' exit: |CUDA unavailable|Error' "$log" | head -20 | tee -a "$summary"
      note '```'
    fi
    cp "$raw/bench"/*.json "$out/" 2>/dev/null || true
    ;;
  e2e)
    log=$out/e2e.log
    if [ ! -f "$dest/app/classes/io/fairlane/bench/gateway/EndToEndLoad.class" ]; then
      note "## end to end: the bundle carries no gateway or load generator (rebuild it with bench/gpu/prepare-bundle.sh)"
      continue
    fi
    mkdir -p "$raw/e2e"
    # shellcheck disable=SC2086
    FAIRLANE_JAVA="$JAVA" FAIRLANE_CP="$CP" FAIRLANE_TOKENIZERS="$dest/tokenizers" E2E_OUT="$raw/e2e" \
      timeout 540 bash bench/gpu/e2e.sh ${E2E_FLAGS:-} >"$log" 2>&1
    rc=$?
    $PY bench/gpu/report.py --e2e "$raw/e2e/e2e-http.json" "$raw/e2e/e2e-direct.json" --out "$raw/e2e/report.md" \
      >>"$log" 2>&1
    note "## end to end over HTTP (exit $rc)"
    [ -f "$raw/e2e/report.md" ] && cat "$raw/e2e/report.md" | tee -a "$summary"
    cp "$raw/e2e"/e2e-*.json "$out/" 2>/dev/null || true
    ;;
  *)
    note "unknown phase $phase (env, tests, sanitizer, transformers, bench, e2e)"
    ;;
  esac
done

tar -C "$raw" -czf "$out/results.tar.gz" . 2>/dev/null
rm -rf "$raw"
echo
echo "summary: $summary"
