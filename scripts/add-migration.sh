#!/usr/bin/env bash
# Adds a migration with the same name to both providers, so they stay in step
# (tests/Together.Data.Tests fails when they do not).   Usage: scripts/add-migration.sh AddSomething
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?migration name}
dotnet tool restore >/dev/null
for provider in Postgres Sqlite; do
  dotnet ef migrations add "$name" \
    --project "server/Together.Data.$provider" --startup-project "server/Together.Data.$provider" \
    --output-dir Migrations
done
