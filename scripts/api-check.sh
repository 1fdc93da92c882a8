#!/usr/bin/env bash
# schemathesis against the API's spec and a live mpshook (the debug build) on a real PostgreSQL:
# every generated request must get an answer the spec documents, and none a 5xx.
#
#   scripts/api-check.sh POSTGRES_URL [extra schemathesis options]
#
# POSTGRES_URL is a server the script may create a database on (the test cluster's
# `postgresql://postgres@127.0.0.1:PORT/postgres`); the database is dropped afterwards.
# API_CHECK_EXAMPLES (default 60) bounds the cases per operation and phase, API_CHECK_SEED
# (default 20261202) makes a run repeatable. The report is .local/api-check/report.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
server_url="${1:?usage: scripts/api-check.sh POSTGRES_URL [schemathesis options]}"
shift
binary="$root/.build/debug/mpshook"
[ -x "$binary" ] || { echo "api-check: build first (swift build)" >&2; exit 1; }
schemathesis="$(scripts/schemathesis-venv.sh)"
out="$root/.local/api-check"
mkdir -p "$out"

database="mpshook_api_check_$$"
database_url="${server_url%/*}/$database"
psql -q "$server_url" -c "CREATE DATABASE $database" >/dev/null
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    psql -q "$server_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

export MPSHOOK_DATABASE_URL="$database_url" LOG_LEVEL=warning
"$binary" migrate >/dev/null
key="$("$binary" keys create --name api-check --scope admin --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MPSHOOK_HTTP_PORT="$port" "$binary" serve >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "api-check: mpshook did not start:" >&2; cat "$out/server.log" >&2; exit 1; }
    sleep 0.1
done

# The checks and the per-operation settings: scripts/schemathesis.toml.
status=0
"$schemathesis" --config-file "$root/scripts/schemathesis.toml" run "http://127.0.0.1:$port/openapi.yaml" --url "http://127.0.0.1:$port" \
    --header "Authorization: Bearer $key" \
    --max-examples "${API_CHECK_EXAMPLES:-60}" --seed "${API_CHECK_SEED:-20261202}" \
    --no-color --report junit --report-dir "$out/report" "$@" >"$out/schemathesis.log" 2>&1 || status=$?
# The summary: operations, generated cases, and what failed.
sed -n '/^=* SUMMARY/,$p' "$out/schemathesis.log" | head -40
if [ "$status" -ne 0 ]; then
    echo "api-check: schemathesis found failures (status $status); the whole log: $out/schemathesis.log" >&2
    grep -E "^_+ |^[0-9]+\. |^\[|Test Case ID|^    [A-Z]" "$out/schemathesis.log" | head -60 >&2 || true
fi
if grep -E '"level":"(error|critical)"|Fatal error|SIGILL' "$out/server.log" >/dev/null 2>&1; then
    echo "api-check: the server logged errors:" >&2
    grep -E '"level":"(error|critical)"|Fatal error' "$out/server.log" | head -20 >&2
    status=1
fi
kill -0 "$server_pid" 2>/dev/null || { echo "api-check: the server died during the run" >&2; status=1; }
exit "$status"
