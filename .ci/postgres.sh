#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the database tests; prints the URL to export as MTJHW_TEST_POSTGRES_URL.
# Installs the server with apt when absent (as root); runs it as the `postgres` user (initdb refuses root)
# in a fresh directory on a free port. Prints nothing (and exits 0) when no server can be had: the tests skip.
set -uo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq postgresql) >/dev/null 2>&1
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$bindir" ] || { echo "PostgreSQL not installed; its database tests will skip" >&2; exit 0; }
run=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    run=(runuser -u postgres --)
fi
dir=$(mktemp -d /tmp/mtjhw-postgres.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if "${run[@]}" "$bindir/initdb" -D "$dir/data" -U mtjhw --auth=trust >/dev/null 2>&1 \
    && "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1 \
    && "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U mtjhw mtjhw_test; then
    echo "postgresql+psycopg://mtjhw@127.0.0.1:$port/mtjhw_test"
else
    echo "PostgreSQL did not start (log: $dir/log); its database tests will skip" >&2
fi
