#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a throwaway PostgreSQL in the work tree
# (data kept across runs) and the MPS emulator, migrates, runs `mpshook serve` pointed at the
# emulator, runs a job of workflow 1 (transcribe, then translate into two languages) to its end and shows it, then keeps
# everything running to explore. Ctrl-C stops everything it started; `scripts/demo.sh stop`
# (make stop) does so from elsewhere.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pg_port="${MPSHOOK_DEMO_PG_PORT:-55432}"
http_port="${MPSHOOK_HTTP_PORT:-8080}"
state="$root/.local/demo"
emulator_port="${MPSHOOK_DEMO_EMULATOR_PORT:-9300}"
pidfile="$state/serve.pid"
emulator_pidfile="$state/emulator.pid"
log="$state/serve.log"
emulator_log="$state/emulator.log"
mkdir -p "$state"

stop_emulator() {
    if [ -f "$emulator_pidfile" ] && kill -0 "$(cat "$emulator_pidfile")" 2>/dev/null; then
        kill -TERM "$(cat "$emulator_pidfile")" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$(cat "$emulator_pidfile")" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$emulator_pidfile"
}

serve_running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

if [ "${1:-}" = "stop" ]; then
    if serve_running; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        for _ in $(seq 1 100); do serve_running || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
    stop_emulator
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
bin="$(swift build --show-bin-path)"
binary="$bin/mpshook"
[ -x "$binary" ] && [ -x "$bin/mps-emulator" ] || { echo "demo.sh: build failed" >&2; exit 1; }

echo "== starting PostgreSQL on 127.0.0.1:$pg_port"
server_url="$(scripts/pg.sh start demo "$pg_port")"
database_url="postgresql://postgres@127.0.0.1:$pg_port/mpshook"
if [ "$(psql "$server_url" -tAc "SELECT 1 FROM pg_database WHERE datname = 'mpshook'")" != "1" ]; then
    psql "$server_url" -qc "CREATE DATABASE mpshook"
fi
export MPSHOOK_DATABASE_URL="$database_url" MPSHOOK_HTTP_PORT="$http_port"

# The demo's own secrets, made once and kept with its data (tokens of earlier jobs stay valid):
# callback keys, a NotifyKey, and the API key pair that mpshook signs with and the emulator
# (given the same environment) accepts. Nothing here is a real Tencent Cloud key.
random_token() { head -c "$1" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
umask 077
touch "$state/secrets.env"
add_secret() {  # NAME VALUE, unless the file already has NAME
    grep -q "^$1=" "$state/secrets.env" || echo "$1=$2" >>"$state/secrets.env"
}
add_secret MPSHOOK_CALLBACK_KEYS "demo:$(random_token 32)"
add_secret MPSHOOK_NOTIFY_KEY "$(random_token 24)"
add_secret TENCENTCLOUD_SECRET_ID "demo-$(random_token 18)"
add_secret TENCENTCLOUD_SECRET_KEY "$(random_token 24)"
umask 022
set -a
# shellcheck disable=SC1091
. "$state/secrets.env"
set +a
# mpshook calls the emulator (never the real MPS) and gives it its own address as the NotifyUrl
# base (in production: the reverse proxy's public URL).
export MPSHOOK_PUBLIC_BASE_URL="http://127.0.0.1:$http_port" \
    MPSHOOK_MPS_ENDPOINT="http://127.0.0.1:$emulator_port"

cleanup() {
    trap - INT TERM EXIT
    if serve_running; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        wait "$(cat "$pidfile")" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    stop_emulator
    scripts/pg.sh stop demo || true
    echo
    echo "demo stopped (data kept in the work tree; run it again to continue)"
}
trap cleanup INT TERM EXIT

echo "== migrating"
LOG_LEVEL=warning "$binary" migrate

echo "== starting the MPS emulator on 127.0.0.1:$emulator_port (log: $emulator_log)"
stop_emulator
"$bin/mps-emulator" --port "$emulator_port" --processing-seconds 4 >>"$emulator_log" 2>&1 &
echo $! >"$emulator_pidfile"

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
echo
echo "== the stored workflows (loaded from workflows/ when mpshook started)"
"$binary" workflows list
echo
echo "== a job of workflow 1, transcribe-then-translate (recognition with a hotword lexicon, then"
echo "   translation into ja and ko), over two videos, followed to its end"
"$binary" submit --workflow transcribe-then-translate \
    --input https://media.example/demo/keynote.mp4 --input https://media.example/demo/interview.mp4 --wait --timeout 120
echo
job_id="$(psql "$database_url" -tAc "SELECT id FROM jobs ORDER BY created_at DESC LIMIT 1")"
echo "== the job as a graph, with every output per input and language (mpshook jobs show $job_id)"
"$binary" jobs show "$job_id"
echo
echo "== what PostgreSQL holds for it"
psql "$database_url" -P pager=off -c "SELECT s.name, s.state, s.task_id, (SELECT p.name FROM steps p WHERE p.id = s.parent_ids[1]) AS after FROM steps s WHERE s.job_id = '$job_id' ORDER BY s.created_at"
psql "$database_url" -P pager=off -c "SELECT s.name, o.job_input_index AS input, o.status, f.file->>'kind' AS kind, f.file->>'language' AS language, f.file->>'path' AS path FROM outputs o JOIN steps s ON s.id = o.step_id CROSS JOIN LATERAL jsonb_array_elements(o.results) AS f(file) WHERE s.job_id = '$job_id' ORDER BY s.created_at, o.job_input_index, kind, language"
psql "$database_url" -P pager=off -c "SELECT a.action, a.request_id, a.error_code, a.latency_ms FROM attempts a JOIN steps s ON s.id = a.step_id WHERE s.job_id = '$job_id'"
echo
echo "== the same job over the REST API, with an API key made for the demo (kept in $state/api-key)"
# Keys are kept only as hashes: the demo's previous key is revoked and a new one made each run.
LOG_LEVEL=warning "$binary" keys revoke demo >/dev/null 2>&1 || true
LOG_LEVEL=warning "$binary" keys create --name demo --scope admin --actor demo --json 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])' >"$state/api-key"
chmod 600 "$state/api-key"
api_key="$(cat "$state/api-key")"
echo "\$ curl -H 'Authorization: Bearer …' http://127.0.0.1:$http_port/v1/steps?jobId=$job_id"
curl -fsS -H "Authorization: Bearer $api_key" "http://127.0.0.1:$http_port/v1/steps?jobId=$job_id" \
    | python3 -c 'import json, sys
for s in json.load(sys.stdin)["items"]:
    print("  %-10s %-10s taskId=%s" % (s["name"], s["state"], s.get("taskId", "-")))'
echo
echo "Still running, to explore (export MPSHOOK_KEY=\$(cat $state/api-key); every /v1 call needs -H \"Authorization: Bearer \$MPSHOOK_KEY\"):"
echo "  GET  http://127.0.0.1:$http_port/v1/jobs/$job_id      GET /v1/steps?state=failed  /v1/notifications  /v1/attempts  /v1/stats"
echo "  GET  http://127.0.0.1:$http_port/v1/events           live changes (Server-Sent Events): curl -N …"
echo "  POST http://127.0.0.1:$http_port/v1/jobs             e.g. curl -sS -H \"Authorization: Bearer \$MPSHOOK_KEY\" -H 'Content-Type: application/json' --data @demo/job.json http://127.0.0.1:$http_port/v1/jobs"
echo "  GET  http://127.0.0.1:$http_port/openapi.yaml        the API's contract"
echo "  GET  http://127.0.0.1:$http_port/readyz  /healthz  /metrics"
echo "  the emulator: http://127.0.0.1:$emulator_port/_emulator/calls  /_emulator/callbacks"
echo "  psql $database_url"
echo "Ctrl-C stops mpshook, the emulator and PostgreSQL (or run 'make stop' elsewhere)."
wait "$(cat "$pidfile")" || true
