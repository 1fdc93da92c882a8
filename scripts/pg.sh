#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the demo and the tests: loopback only, its own port,
# its data in the work tree (gitignored). No systemd or Docker needed.
#
#   scripts/pg.sh start NAME PORT   start (initialising on first use); prints the URL
#   scripts/pg.sh stop NAME         stop it (fast shutdown)
#   scripts/pg.sh reset NAME        stop it and delete its data
#   scripts/pg.sh url NAME PORT     print the URL of its `postgres` database
#   scripts/pg.sh status NAME       exit 0 when it runs
#
# MPSHOOK_PG_FSYNC=off starts it without fsync (the test command's cluster: see scripts/test.sh);
# every other cluster (demo, benchmarks, the fault suite) keeps fsync on.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command="${1:?usage: pg.sh start|stop|reset|url|status NAME [PORT]}"
name="${2:?cluster name required}"
port="${3:-55432}"
# The postgres user may not be allowed into the caller's folder; every path below is absolute.
cd /

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server binaries not found (install the postgresql package)" >&2; exit 1; }

# initdb and postgres refuse to run as root: as root, run them as the `postgres` user, whose
# home folder is outside the work tree; a work tree it cannot enter (a private temp folder)
# gets its cluster in /var/tmp instead, keyed by the work tree's path.
as_postgres=()
base="$root/.local/pg"
if [ "$(id -u)" -eq 0 ]; then
    as_postgres=(runuser -u postgres --)
    if ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
        key="$(printf '%s' "$root" | sha1sum | cut -c1-12)"
        base="/var/tmp/mpshook-$key/pg"
    fi
fi
data="$base/$name/data"
sockets="$base/$name/run"
log="$base/$name/postgres.log"

url() { echo "postgresql://postgres@127.0.0.1:$port/postgres"; }

running() {
    [ -f "$data/postmaster.pid" ] && "${as_postgres[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

case "$command" in
start)
    if running; then
        url
        exit 0
    fi
    mkdir -p "$base/$name"
    # Only this cluster's folder: others may be running (and changing) beside it.
    # Only this cluster's folder: other clusters may be running (and changing) beside it.
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$base"; chmod 700 "$base"; chown -R postgres:postgres "$base/$name"; fi
    if [ ! -s "$data/PG_VERSION" ]; then
        "${as_postgres[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$base/$name/initdb.log" 2>&1 \
            || { echo "pg.sh: initdb failed; see $base/$name/initdb.log" >&2; exit 1; }
    fi
    # Clients use TCP on 127.0.0.1; the Unix socket needs a path under 107 bytes.
    socketdir="$sockets"
    [ ${#socketdir} -lt 80 ] || socketdir="/tmp/mpshook-pg-$port"
    "${as_postgres[@]}" mkdir -p "$socketdir"
    # The port can be briefly taken by a connection's local end (ports here are inside the
    # ephemeral range) or a cluster that is still shutting down: retry that, a few times.
    for attempt in 1 2 3 4 5 6; do
        if "${as_postgres[@]}" "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 30 \
            -o "-p $port -k $socketdir -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=${MPSHOOK_PG_FSYNC:-on}" start >/dev/null; then
            break
        fi
        if [ "$attempt" -lt 6 ] && tail -n 5 "$log" 2>/dev/null | grep -q "Address already in use"; then
            sleep 2
            continue
        fi
        echo "pg.sh: PostgreSQL did not start on port $port; last log lines:" >&2
        tail -n 20 "$log" >&2 || true
        exit 1
    done
    url
    ;;
stop)
    if running; then "${as_postgres[@]}" "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    ;;
reset)
    if running; then "${as_postgres[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null || true; fi
    rm -rf "${base:?}/${name:?}"
    ;;
url)
    url
    ;;
status)
    running
    ;;
*)
    echo "pg.sh: unknown command $command" >&2
    exit 2
    ;;
esac
