#!/usr/bin/env bash
# Builds the web client into clients/web/dist (served by the server at /).
# Installs the locked npm packages first when clients/node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --workspace @together/web --silent
