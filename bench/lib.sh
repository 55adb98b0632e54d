# Sourced by the scripts under bench/ (not run): finds a JDK 25 or newer, builds the benchmark module and everything
# it depends on (tests skipped; compiled classes, no jars), and gives the scripts its runtime classpath.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"    # from bench/<area>/ (or ./lib.sh from bench/)
#   bench_build                                      # sets BENCH_CP; MVN_FLAGS=-o for an offline build
#   "${BENCH_JAVA[@]}" -cp "$BENCH_CP" io.fairlane.bench.engine.CpuBench bandwidth
#
# BENCH_CP holds the benchmark classes, every module's classes (gateway-cuda's included, with its CUDA kernels when
# nvcc exists) and their runtime jars: the gateway itself can be started from it (io.fairlane.gateway.Main).
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_jdk() {  # succeeds when $1 is a JDK (javac beside java) of version 25 or newer, as the launcher requires
  local v
  [ -x "$1/bin/javac" ] || return 1
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = //p' | cut -d. -f1)
  [ -n "$v" ] && [ "$v" -ge 25 ]
}
if ! bench_jdk "${JAVA_HOME:-/nonexistent}"; then
  JAVA_HOME=
  for c in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/* /opt/java/openjdk; do
    if bench_jdk "$c"; then JAVA_HOME=$c; break; fi
  done
fi
[ -n "$JAVA_HOME" ] || { echo "bench: no JDK 25 or newer found (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME

# The JVM flags every benchmark runs with (the launcher's, less the collector): the CPU kernels use the Vector API,
# the CUDA backend and the cuBLAS binding native access.
BENCH_JAVA=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

bench_build() {
  echo "bench: building the benchmark module (mvnw -pl bench -am compile)..." >&2
  # shellcheck disable=SC2086
  (cd "$bench_root" && ./mvnw -B -q ${MVN_FLAGS:-} -pl bench -am -Dfairlane.skipNpm=true compile \
    dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/runtime.classpath >&2)
  BENCH_CP="$bench_root/bench/target/classes:$(cat "$bench_root/bench/target/runtime.classpath")"
  export BENCH_CP
}
