#!/usr/bin/env bash
# Installs what the test suite needs beyond Maven Central, when it is missing: runs every
# scripts/prereq.d/*.sh in name order. Each step is idempotent, quiet when its tool is present, and
# says what it installs and why. Steps may use apt_install below.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export FAIRLANE_ROOT=$root

apt_install() {  # apt_install PACKAGE... : installs Debian packages as root (or through sudo)
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "test-prerequisites: please install these Debian packages: $*" >&2; return 1; fi
  fi
  echo "test-prerequisites: installing Debian packages: $*" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
export -f apt_install

for step in "$root"/scripts/prereq.d/*.sh; do
  [ -e "$step" ] || continue
  bash "$step"
done
