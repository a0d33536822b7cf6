#!/usr/bin/env bash
# Runs the vitest suite on the Node.js versions users run (22 and 24), installed from the npm
# registry's `node` package into a scratch folder so the project's node_modules stay untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("${@:-22 24}")
scratch="${NODE_VERSIONS_DIR:-${TMPDIR:-/tmp}/athena-gateway-node-versions}"
for version in ${versions[@]}; do
  prefix="$scratch/node$version"
  if [ ! -x "$prefix/node_modules/.bin/node" ]; then
    mkdir -p "$prefix"
    npm install --no-save --no-audit --no-fund --prefix "$prefix" "node@$version" >/dev/null
  fi
  echo "== Node $("$prefix/node_modules/.bin/node" --version)"
  PATH="$prefix/node_modules/.bin:$PATH" node node_modules/vitest/vitest.mjs run
done
