#!/usr/bin/env bash
# JMH: cost of one scheduling decision (next + complete + replacement offer) with many tenants and a
# deep queue, for every policy. Extra arguments go to JMH, e.g. `-p tenants=1000,10000,100000` or `-f 3`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
./mvnw -B -q -pl gateway-scheduler test-compile exec:exec \
  -Dexec.executable="$JAVA_HOME/bin/java" \
  -Dexec.classpathScope=test \
  -Dexec.args="-cp %classpath org.openjdk.jmh.Main SchedulerDecisionBenchmark $*"
