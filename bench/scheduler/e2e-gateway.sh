#!/usr/bin/env bash
# Issue 3's end-to-end fairness run through the real gateway: a light tenant and a noisy one (10x its rate)
# on an upstream lane with 4 slots in front of a stub upstream (service time 100 ± 50 ms, so 40 req/s of
# capacity; the noisy tenant alone offers 50); the light tenant's latency alone, then beside the noisy one
# under DRR and FCFS, same seeded open-loop traffic. About 4 minutes with the defaults, plus the build.
#   bench/scheduler/e2e-gateway.sh [--service-ms 100] [--service-spread-ms 50] [--slots 4] [--light-rps 5]
#       [--ratio 10] [--duration-s 60] [--arrivals poisson|fixed] [--seed 1] [--phases solo,drr,fcfs[,vtc,dlpm]]
#       [--samples FILE.csv]
# Packages the gateway's jars (tests skipped) when they are missing or stale, starts
# `io.fairlane.gateway.Main serve` as its own JVM on an ephemeral port with a generated config, and drives it
# from a single-file Java program that is both the stub upstream and the load generator.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
# Package only when a jar is missing or older than a source or pom (a no-op package still takes a minute here).
jar=$(ls gateway-core/target/gateway-core-*.jar 2>/dev/null | grep -v -e -tests -e -sources | head -n 1 || true)
if [ -z "$jar" ] || [ -n "$(find pom.xml gateway-scheduler gateway-engine gateway-core -path '*/target' -prune -o \
    -type f \( -name pom.xml -o -path '*/src/main/*' \) -newer "$jar" -print -quit)" ]; then
  echo "e2e-gateway: building the gateway's jars (mvnw package, tests skipped)..." >&2
  ./mvnw -B -q -pl gateway-core -am package -DskipTests >&2
fi
cp=""
for m in gateway-scheduler gateway-engine gateway-core; do
  for j in "$m"/target/"$m"-*.jar; do
    case "$j" in *-tests.jar|*-sources.jar) continue ;; esac
    cp="$cp:$root/$j"
  done
done
for j in gateway-core/target/lib/*.jar; do cp="$cp:$root/$j"; done
exec "$JAVA_HOME/bin/java" -Xms256m -Xmx1g bench/scheduler/E2eGatewayBench.java --classpath "${cp#:}" "$@"
