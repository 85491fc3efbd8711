#!/usr/bin/env bash
# Every JS test suite: Vitest (clients/shared, clients/web), then the end-to-end tests in headless
# Chromium against a real server. Ends with the plain line "N passed, N failed"; exits non-zero on
# any failure. Needs Node 20+, the .NET SDK (the server build) and Debian's chromium.
#   TOGETHER_SERVER_DLL=path/to/Together.Server.dll   use this server build instead of building
#   SKIP_E2E=1                                         unit tests only
set -uo pipefail
cd "$(dirname "$0")"
root="$(cd .. && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
passed=0
failed=0

if ! ./build.sh; then
  echo "web build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# Type checks (one check per package).
for pkg in shared web; do
  if (cd "$pkg" && npx tsc --noEmit -p .); then passed=$((passed + 1)); else echo "typecheck failed: $pkg"; failed=$((failed + 1)); fi
done

# Vitest: read the counts from its JSON report; a suite that crashes before reporting counts as one failure.
for pkg in shared web; do
  (cd "$pkg" && npx vitest run --reporter=default --reporter=json --outputFile="$out/$pkg.json")
  counts=$(node -e '
    try { const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorSuites ?? 0)); }
    catch { console.log("0 1"); }' "$out/$pkg.json")
  passed=$((passed + ${counts% *}))
  failed=$((failed + ${counts#* }))
done

if [ "${SKIP_E2E:-}" != "1" ]; then
  if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq chromium >/dev/null
  fi
  if [ -z "${TOGETHER_SERVER_DLL:-}" ]; then
    dll="$root/server/Together.Server/bin/Release/net10.0/Together.Server.dll"
    if [ ! -f "$dll" ]; then
      (cd "$root" && dotnet build server/Together.Server -c Release -nologo -v quiet) || failed=$((failed + 1))
    fi
  fi
  (cd web && node --test --test-concurrency=1 --test-reporter=tap e2e/*.e2e.mjs) | tee "$out/e2e.tap"
  e2e_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out/e2e.tap" | tail -1)
  e2e_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out/e2e.tap" | tail -1)
  if [ -z "$e2e_pass" ]; then e2e_pass=0; e2e_fail=1; fi
  passed=$((passed + e2e_pass))
  failed=$((failed + ${e2e_fail:-0}))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
