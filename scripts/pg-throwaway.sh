#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, on 127.0.0.1 and a free port.
#   scripts/pg-throwaway.sh start DIR   prints an Npgsql connection string to the "postgres" database
#   scripts/pg-throwaway.sh stop DIR    stops it and deletes DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the "postgres" system user.
set -euo pipefail

cmd=${1:?start|stop} dir=${2:?folder}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U together --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    for _ in $(seq 1 20); do
      port=$(( 20000 + RANDOM % 20000 ))
      port_free "$port" || continue
      # Durability settings are off: this cluster lives for one test run.
      if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=128MB" \
          start >/dev/null; then
        echo "$port" >"$dir/port"
        echo "Host=127.0.0.1;Port=$port;Username=together;Database=postgres;Include Error Detail=true"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2 || true
    echo "could not start PostgreSQL" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
