#!/usr/bin/env bash
# Runs any benchmark class of the bench module with the benchmark JVM flags, after building it (bench/lib.sh), from
# the project root; BENCH_JAVA_OPTS adds JVM options. For the benchmarks that have no script of their own, or to pass
# options a script does not:
#
#   bench/run.sh io.fairlane.engine.cpu.MatmulKernelBench --rows 4096 --cols 1024 --tokens 1,4,8,16
#   bench/run.sh io.fairlane.bench.engine.CpuBench bandwidth --gib 1 --seconds 3
#   BENCH_JAVA_OPTS=-Xmx8g bench/run.sh io.fairlane.bench.engine.CpuBench bench --model DIR --batch 1,4
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$bench_root"
bench_build
# shellcheck disable=SC2086
exec "${BENCH_JAVA[@]}" ${BENCH_JAVA_OPTS:-} -cp "$BENCH_CP" "$@"
