#!/usr/bin/env bash
# Runs every test suite: builds the solution, starts a throwaway PostgreSQL cluster (installing
# PostgreSQL, Redis and Chromium first when missing, as root; the scale-out tests start their own
# redis-server and the attachment tests their own s3rver, and stop them), runs each test assembly, stops the cluster even on failure,
# and ends with one line "N passed, N failed" summing every suite.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/.artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v redis-server >/dev/null || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q --no-install-recommends "${need_apt[@]}" || { echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
  else
    echo "missing ${need_apt[*]}: install them (as root: apt-get install -y ${need_apt[*]})"; echo "0 passed, 1 failed"; exit 1
  fi
fi

# The voice transport's interop test drives Debian's Chromium with playwright-core (no browser download).
if [ ! -d tests/Together.Rtc.Tests/browser/node_modules/playwright-core ]; then
  echo "== installing the browser test's npm packages"
  npm ci --prefix tests/Together.Rtc.Tests/browser --no-audit --no-fund --loglevel=error \
    || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
# The attachment tests also run against s3rver, an S3-compatible server on Node.
if [ ! -d tests/s3rver/node_modules/s3rver ]; then
  echo "== installing the S3 test server"
  npm ci --prefix tests/s3rver --no-audit --no-fund --loglevel=error \
    || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
# Missing browser prerequisites fail the run instead of skipping the test.
export TOGETHER_REQUIRE_BROWSER=1

echo "== building"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! dotnet build Together.slnx -c Release -nologo -v quiet; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

pgdir=$(mktemp -d /tmp/together-pg.XXXXXX)
cleanup() { scripts/pg-throwaway.sh stop "$pgdir"; }
trap cleanup EXIT
echo "== starting PostgreSQL"
if ! TOGETHER_TEST_POSTGRES=$(scripts/pg-throwaway.sh start "$pgdir"); then
  echo "could not start PostgreSQL"; echo "0 passed, 1 failed"; exit 1
fi
export TOGETHER_TEST_POSTGRES

passed=0 failed=0
for project in tests/*.Tests/; do
  name=$(basename "$project")
  dll="$project/bin/Release/net10.0/$name.dll"
  # Leftover bin/obj of a removed suite is not a suite; a project whose assembly is missing after
  # a successful build is one that would silently not run: a failure.
  ls "$project"*.csproj >/dev/null 2>&1 || continue
  if [ ! -f "$dll" ]; then
    echo "$name: $dll is missing after the build; counted as a failure"
    failed=$((failed + 1))
    continue
  fi
  echo "== $name"
  xml="$results/$name.xml"
  dotnet "$dll" -noLogo -noColor -result-xml "$xml"
  code=$?
  if [ -f "$xml" ]; then
    p=$(grep -o '<assembly [^>]*' "$xml" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}')
    f=$(grep -o '<assembly [^>]*' "$xml" | grep -oE ' (failed|errors)="[0-9]*"' | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    # A runner that crashed after writing results still failed.
    [ "$code" -ne 0 ] && [ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
  else
    echo "$name produced no results (exit $code)"
    failed=$((failed + 1))
  fi
done

# The web client and its shared TypeScript client: type checks, Vitest and the end-to-end tests
# in headless Chromium against this build of the server.
echo "== clients (web, shared)"
TOGETHER_SERVER_DLL="$root/server/Together.Server/bin/Release/net10.0/Together.Server.dll" \
  bash clients/test.sh 2>&1 | tee "$results/clients.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$results/clients.log" | tail -n 1)
if [ -n "$line" ]; then
  passed=$((passed + $(echo "$line" | awk '{print $1}')))
  failed=$((failed + $(echo "$line" | awk '{print $3}')))
else
  echo "clients/test.sh printed no summary"
  failed=$((failed + 1))
fi

# CI keeps only the tail of this output: name every failure again just above the summary.
if [ "$failed" -ne 0 ]; then
  echo "== failures"
  for xml in "$results"/*.xml; do
    [ -f "$xml" ] || continue
    perl -0777 -ne '
      my %e = (quot => "\x22", apos => "\x27", lt => "<", gt => ">", amp => "&");
      while (/<test [^>]*?name="([^"]*)"[^>]*?result="Fail"((?:(?!<test ).)*)/sg) {
        my ($n, $body) = ($1, $2);
        my $m = $body =~ /<message>(.*?)<\/message>/s ? $1 : "";
        s/&(quot|apos|lt|gt|amp);/$e{$1}/g for $n, $m;
        my @l = grep { length } split /\n/, $m;
        print "FAIL $n\n", map({ "  $_\n" } @l[0 .. ($#l < 5 ? $#l : 5)]);
      }' "$xml"
  done
  grep -E '^(not ok|[[:space:]]*(FAIL|×|✗) )' "$results/clients.log" 2>/dev/null | head -n 20
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
