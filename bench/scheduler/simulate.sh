#!/usr/bin/env bash
# Replays the scheduler simulator's scenarios under FCFS, DRR, VTC and DLPM and regenerates
# docs/scheduler/results.md and the PNG charts beside it. Takes about half a minute.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
./mvnw -B -q -pl gateway-scheduler test-compile exec:java \
  -Dexec.mainClass=io.fairlane.scheduler.sim.SimulatorMain \
  -Dexec.classpathScope=test \
  -Dexec.args="$root/docs/scheduler"
