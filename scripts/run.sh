#!/usr/bin/env bash
# Starts Together on http://127.0.0.1:8080 with its data in ./data (SQLite, created on first start).
# Settings can follow as --Section:Key=value, e.g. --Urls=http://0.0.0.0:8080 (see docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The web client (React) is built into clients/web/dist, which the server serves at /.
if [ -x clients/build.sh ]; then
  clients/build.sh || echo "warning: the web client did not build; the server will run with the API only" >&2
fi
dotnet build server/Together.Server -c Release -nologo -v quiet
# An 8 MB gen0 budget: the runtime otherwise sizes it from the L3 cache the VM reports (often
# hundreds of MB) and the server sits at 340 MB instead of 265 with 500 people connected
# (docs/performance.md). Only the environment can set it; runtimeconfig.json cannot.
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x800000}"
exec dotnet server/Together.Server/bin/Release/net10.0/Together.Server.dll "$@"
