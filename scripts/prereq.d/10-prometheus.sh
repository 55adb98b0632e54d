#!/usr/bin/env bash
# Prometheus server and promtool (Debian package `prometheus`): the promtool rule tests
# (docker/prometheus/tests) and the Prometheus integration test in gateway-core run them. The package's
# service is not started here; the tests start their own prometheus on an ephemeral port.
set -euo pipefail
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
# policy-rc.d keeps the package's post-install from starting a system-wide prometheus where an init
# system would run it; it is removed again unless it was there before.
created_policy=""
if [ "$(id -u)" -eq 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=yes
fi
status=0
apt_install prometheus || status=$?
[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
exit $status
