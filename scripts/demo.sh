#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a throwaway PostgreSQL in the work tree
# (data kept across runs), migrates, runs `mpshook serve` and waits until it is ready.
# Ctrl-C stops everything it started; `scripts/demo.sh stop` (make stop) does so from elsewhere.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pg_port="${MPSHOOK_DEMO_PG_PORT:-55432}"
http_port="${MPSHOOK_HTTP_PORT:-8080}"
state="$root/.local/demo"
pidfile="$state/serve.pid"
log="$state/serve.log"
mkdir -p "$state"

serve_running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

if [ "${1:-}" = "stop" ]; then
    if serve_running; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        for _ in $(seq 1 100); do serve_running || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
    scripts/pg.sh stop demo
    echo "demo stopped"
    exit 0
fi

if serve_running; then
    echo "the demo is already running (pid $(cat "$pidfile")): http://127.0.0.1:$(cat "$state/port" 2>/dev/null || echo "$http_port")"
    echo "stop it with: make stop"
    exit 0
fi

echo "== installing missing packages (if any)"
scripts/install-deps.sh
echo "== building (a first build takes a few minutes)"
swift build 2>&1 | grep -E "error|Compiling mpshook|Build complete" || true
binary="$(swift build --show-bin-path)/mpshook"
[ -x "$binary" ] || { echo "demo.sh: build failed" >&2; exit 1; }

echo "== starting PostgreSQL on 127.0.0.1:$pg_port"
server_url="$(scripts/pg.sh start demo "$pg_port")"
database_url="postgresql://postgres@127.0.0.1:$pg_port/mpshook"
if [ "$(psql "$server_url" -tAc "SELECT 1 FROM pg_database WHERE datname = 'mpshook'")" != "1" ]; then
    psql "$server_url" -qc "CREATE DATABASE mpshook"
fi
export MPSHOOK_DATABASE_URL="$database_url" MPSHOOK_HTTP_PORT="$http_port"

cleanup() {
    trap - INT TERM EXIT
    if serve_running; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        wait "$(cat "$pidfile")" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    scripts/pg.sh stop demo || true
    echo
    echo "demo stopped (data kept in the work tree; run it again to continue)"
}
trap cleanup INT TERM EXIT

echo "== migrating"
"$binary" migrate

echo "== starting mpshook serve (log: $log)"
"$binary" serve >>"$log" 2>&1 &
echo $! >"$pidfile"
echo "$http_port" >"$state/port"

for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then break; fi
    serve_running || { echo "demo.sh: mpshook exited; last log lines:" >&2; tail -n 20 "$log" >&2; exit 1; }
    sleep 0.1
done
echo
echo "mpshook is ready on http://127.0.0.1:$http_port"
echo "  GET /healthz  -> $(curl -s "http://127.0.0.1:$http_port/healthz")"
echo "  GET /readyz   -> $(curl -s "http://127.0.0.1:$http_port/readyz")"
echo "  GET /metrics  -> Prometheus text"
echo "database: $database_url"
echo "Ctrl-C stops mpshook and PostgreSQL (or run 'make stop' elsewhere)."
wait "$(cat "$pidfile")" || true
