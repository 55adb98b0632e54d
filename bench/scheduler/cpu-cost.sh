#!/usr/bin/env bash
# Thread-CPU nanoseconds per scheduling decision (same loop as the JMH benchmark) for every policy, each
# in its own JVM, at 1k, 10k and 100k tenants with 10 queued requests each (or the tenant counts given as
# arguments). Useful on a shared machine, where wall-clock throughput swings with other load.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
./mvnw -B -q -pl gateway-scheduler test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
cp="gateway-scheduler/target/test-classes:gateway-scheduler/target/classes:$(cat gateway-scheduler/target/bench.classpath)"
for policy in FCFS DRR VTC DLPM; do
  "$JAVA_HOME/bin/java" -Xms2g -Xmx2g -cp "$cp" io.fairlane.scheduler.bench.DecisionCpuCost "$policy" "$@"
done
