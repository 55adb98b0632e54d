#!/usr/bin/env bash
# The chat-template golden tests compare Fairlane's Jinja interpreter with Python's jinja2 (the engine
# transformers uses). Installs Debian's python3-jinja2 when no python3 on this machine can import jinja2.
# The tokenizer packages themselves are fetched by the build with npm (gateway-engine/src/test/scripts/).
set -euo pipefail

for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import jinja2' >/dev/null 2>&1; then
    exit 0
  fi
done
apt_install python3 python3-jinja2
