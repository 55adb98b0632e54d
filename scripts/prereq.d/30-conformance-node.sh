#!/usr/bin/env bash
# Node.js and npm for the conformance module's JavaScript client tests (the openai SDK and the Vercel AI
# SDK run against the gateway). The build installs the packages themselves with npm ci under
# gateway-conformance/target/node-clients. Those packages need Node 18 or newer.
set -euo pipefail

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && [ "$(node_major)" -ge 18 ]; then
  exit 0
fi
echo "30-conformance-node: installing Node.js and npm for the JavaScript client conformance tests" >&2
apt_install nodejs npm
if [ "$(node_major)" -lt 18 ]; then
  echo "30-conformance-node: Node $(node -v 2>/dev/null || echo none) is older than 18; the JavaScript client tests need 18+" >&2
  exit 1
fi
