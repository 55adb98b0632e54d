#!/usr/bin/env bash
# Installs what the test suite needs beyond Maven Central, when it is missing. Idempotent and quiet when
# everything is present. Each step says what it installs and why.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

apt_install() {  # apt_install PACKAGE... : installs Debian packages when running as root (or via sudo)
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "test-prerequisites: please install Debian packages: $*" >&2; return 1; fi
  fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# (steps are added by the features that need them)
exit 0
