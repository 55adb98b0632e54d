#!/usr/bin/env bash
# Runs the CPU image's start command without Docker, against the jars the image would hold: builds them with
# the Dockerfile's own Maven command into target/image/lib (the image's /opt/fairlane/lib), then runs
# ENTRYPOINT + CMD of docker/Dockerfile.cpu (read from the file) on docker/config/fairlane.yaml, waits until
# docker/healthcheck.sh (the image's HEALTHCHECK) says healthy, sends SIGTERM as `docker stop` does and
# expects exit status 0. What Docker would add (the base image, the non-root user, the mounts) is not run.
#
#   docker/check-start-command.sh            build the jars, then check
#   SKIP_BUILD=1 docker/check-start-command.sh   reuse target/image/lib
#   PORT=18080 ...                           port to listen on (default 18080)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$root/target/image
port=${PORT:-18080}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "check-start-command: building the image's jars (the Dockerfile's Maven command)" >&2
  (cd "$root" && ./mvnw -B -q -DskipTests -Dfairlane.skipNpm=true -Dfairlane.skipNvcc=true -pl gateway-core -am \
      package dependency:copy-dependencies -DincludeScope=runtime)
  rm -rf "$work/lib" && mkdir -p "$work/lib"
  cp "$root"/gateway-core/target/dependency/*.jar "$work/lib/"
  cp "$root"/gateway-core/target/gateway-core-*.jar "$work/lib/"
  rm -f "$work"/lib/*-tests.jar "$work"/lib/*-sources.jar
fi
[ -n "$(ls "$work"/lib/*.jar 2>/dev/null)" ] || { echo "check-start-command: no jars in $work/lib" >&2; exit 1; }

# The exec-form JSON arrays of the Dockerfile, one word per line (the words hold no commas or quotes).
exec_form() {
  grep "^$1 \[" "$root/docker/Dockerfile.cpu" | tail -1 | sed -e "s/^$1 \[//" -e 's/\]$//' | tr ',' '\n' \
    | sed -e 's/^ *"//' -e 's/"$//'
}
mkdir -p "$work/cache"
sed -e "s|port: 8080|port: $port|" -e "s|/var/lib/fairlane/cache|$work/cache|" \
  "$root/docker/config/fairlane.yaml" > "$work/fairlane.yaml"
command=()
while IFS= read -r word; do
  case "$word" in
    java) command+=("$JAVA_HOME/bin/java") ;;
    /opt/fairlane/lib/\*) command+=("$work/lib/*") ;;
    /etc/fairlane/fairlane.yaml) command+=("$work/fairlane.yaml") ;;
    *) command+=("$word") ;;
  esac
done < <(exec_form ENTRYPOINT; exec_form CMD)

echo "check-start-command: ${command[*]}" >&2
FAIRLANE_PORT=$port "${command[@]}" > "$work/gateway.log" 2>&1 &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 360); do
  if FAIRLANE_PORT=$port bash "$root/docker/healthcheck.sh" >/dev/null 2>&1; then
    healthy=yes; break
  fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.25
done
if [ -z "${healthy:-}" ]; then
  echo "check-start-command: never became healthy; log:" >&2; tail -30 "$work/gateway.log" >&2; exit 1
fi
grep -q "listening on 0.0.0.0:$port" "$work/gateway.log" \
  || { echo "check-start-command: not listening on 0.0.0.0:$port" >&2; exit 1; }
echo "check-start-command: healthy on 0.0.0.0:$port; sending SIGTERM" >&2
kill -TERM $pid
status=0
wait $pid || status=$?
trap - EXIT
if [ "$status" -ne 0 ]; then
  echo "check-start-command: exited $status after SIGTERM; log:" >&2; tail -30 "$work/gateway.log" >&2; exit 1
fi
echo "check-start-command: drained and exited 0 (jars: $(ls "$work"/lib/*.jar | wc -l) in $work/lib)" >&2
