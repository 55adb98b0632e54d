#!/usr/bin/env bash
# Container health check for the Fairlane images: healthy when GET /health/ready on the local port answers
# HTTP 200. Bash's /dev/tcp does the request, so the images need no curl or wget.
#   healthcheck.sh [PORT]     (default: $FAIRLANE_PORT, else 8080)
set -u
port=${1:-${FAIRLANE_PORT:-8080}}
exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || { echo "healthcheck: nothing listens on port $port"; exit 1; }
printf 'GET /health/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
if ! IFS= read -r -t 2 status_line <&3; then
  echo "healthcheck: no answer from /health/ready on port $port"; exit 1
fi
exec 3<&-
case "$status_line" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) echo "healthcheck: /health/ready answered '${status_line%$'\r'}'"; exit 1 ;;
esac
