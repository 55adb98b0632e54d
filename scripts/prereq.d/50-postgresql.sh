#!/usr/bin/env bash
# PostgreSQL 15 (Debian package `postgresql`): the durable-state tests in gateway-core start their own server
# with initdb and postgres on an ephemeral port, so that every store test also runs against the database that
# gateway replicas share. Redis 7 (Debian package `redis-server`) for the shared-state tests, which likewise start
# their own. Neither package's system service is started here.
set -euo pipefail

have_postgres() {
  command -v postgres >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

missing=()
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "50-postgresql: installing ${missing[*]} for the durable-state and shared-state tests" >&2
# policy-rc.d keeps the packages' post-install from starting a system-wide postgres or redis where an init
# system would run them; it is removed again unless it was there before.
created_policy=""
if [ "$(id -u)" -eq 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=yes
fi
status=0
apt_install "${missing[@]}" || status=$?
[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
exit $status
