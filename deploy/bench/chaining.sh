#!/usr/bin/env bash
# Chaining latency (make bench, after run.sh): from the 200 that mpshook answers to the callback
# completing a workflow's first step, to its follow-up BatchProcessMedia call arriving at the
# emulator. Starts a throwaway PostgreSQL, the release builds of mpshook and mps-emulator, and
# runs BENCH_CHAIN_JOBS jobs of workflows/transcribe-then-translate.yaml, a few per second (well
# under the 20 calls/s limit, so no call waits for a slot).
# Baseline in the same run: from a job's creation (its commit) to its first step's call at the
# emulator, the same LISTEN/NOTIFY wake-up path without a callback in front of it.
# Settings (environment): BENCH_CHAIN_JOBS (60), BENCH_CHAIN_INTERVAL_MS (250).
set -euo pipefail
bench_name=chaining
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_port="${BENCH_CHAIN_PG_PORT:-55451}"
http_port="${BENCH_CHAIN_HTTP_PORT:-18081}"
emulator_port="${BENCH_CHAIN_EMULATOR_PORT:-19301}"
jobs="${BENCH_CHAIN_JOBS:-60}"
interval_ms="${BENCH_CHAIN_INTERVAL_MS:-250}"
state="$bench_root/.local/bench"
mkdir -p "$state"
log="$state/chaining-serve.log"
emulator_log="$state/chaining-emulator.log"
: >"$log"
: >"$emulator_log"

echo "== release build (mpshook, mps-emulator)"
release_build mpshook mps-emulator

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    drop_postgres benchchain "$pg_port"
}
trap cleanup EXIT INT TERM

echo "== throwaway PostgreSQL on 127.0.0.1:$pg_port"
throwaway_postgres benchchain "$pg_port" chain
export_serve_environment chain "$http_port" "$emulator_port"
"$bin/mpshook" migrate >>"$log" 2>&1
# POST /v1/jobs needs an API key of scope write (the key is the first line keys create prints).
api_key="$("$bin/mpshook" keys create --name chaining-bench --scope write --actor bench 2>>"$log" | sed -n 1p)"

"$bin/mps-emulator" --port "$emulator_port" --processing-seconds 0.5 >>"$emulator_log" 2>&1 &
pids+=($!)
emulator_pid=$!
"$bin/mpshook" serve >>"$log" 2>&1 &
pids+=($!)
serve_pid=$!
wait_for_url "http://127.0.0.1:$emulator_port/_emulator/calls" "$emulator_pid" "$emulator_log"
wait_for_url "http://127.0.0.1:$http_port/readyz" "$serve_pid" "$log"

echo "== $jobs jobs of transcribe-then-translate, one every ${interval_ms} ms"
body='{"workflow":"transcribe-then-translate","inputUrls":["https://media.example/v/a.mp4","https://media.example/v/b.mp4"]}'
for _ in $(seq 1 "$jobs"); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' --data "$body" "http://127.0.0.1:$http_port/v1/jobs" \
        || { echo "chaining: job creation failed" >&2; tail -n 20 "$log" >&2; exit 1; }
    sleep "$(awk -v ms="$interval_ms" 'BEGIN { print ms / 1000 }')"
done
for _ in $(seq 1 600); do
    running="$(psql "$MPSHOOK_DATABASE_URL" -tAc "SELECT count(*) FROM jobs WHERE state = 'running'")"
    [ "$running" = "0" ] && break
    sleep 0.1
done
[ "$running" = "0" ] || { echo "chaining: $running jobs still running" >&2; exit 1; }

# step session context, its parent's session context (empty for a first step), job creation time
psql "$MPSHOOK_DATABASE_URL" -tA -F '|' -c "
    SELECT s.session_context, coalesce(p.session_context, ''), extract(epoch FROM j.created_at)
    FROM steps s JOIN jobs j ON j.id = s.job_id LEFT JOIN steps p ON p.id = s.parent_ids[1]" >"$state/chaining-steps.txt"
curl -fsS "http://127.0.0.1:$emulator_port/_emulator/calls" >"$state/chaining-calls.json"
curl -fsS "http://127.0.0.1:$emulator_port/_emulator/callbacks" >"$state/chaining-callbacks.json"

python3 - "$state" <<'PY'
import json, sys
state = sys.argv[1]
calls = {c["sessionContext"]: c["receivedAt"] for c in json.load(open(f"{state}/chaining-calls.json"))
         if c.get("action") == "BatchProcessMedia" and c.get("errorCode") is None and c.get("sessionContext")}
# The completing callback of a step: its first delivery answered 200 (Finish mode: one per task).
answered = {}
for cb in json.load(open(f"{state}/chaining-callbacks.json")):
    if cb.get("httpStatus") == 200 and cb.get("answeredAt") is not None:
        context = cb["sessionContext"]
        answered[context] = min(answered.get(context, cb["answeredAt"]), cb["answeredAt"])
chain, first = [], []
for line in open(f"{state}/chaining-steps.txt"):
    context, parent, created = line.strip().split("|")
    if context not in calls:
        continue
    if parent:
        if parent in answered:
            chain.append((calls[context] - answered[parent]) * 1000)
    else:
        first.append((calls[context] - float(created)) * 1000)
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")
c50, c95, c99 = (pct(chain, p) for p in (50, 95, 99))
f50, f95 = (pct(first, p) for p in (50, 95))
print()
print(f"== chaining report (2 shared cores; {len(chain)} follow-ups, {len(first)} first steps)")
print(f"follow-up: completing callback's 200 -> follow-up call at the emulator: p50 {c50:.1f} ms, p95 {c95:.1f} ms, p99 {c99:.1f} ms")
print(f"baseline:  job committed -> first call at the emulator (same wake-up path): p50 {f50:.1f} ms, p95 {f95:.1f} ms")
print(f"ratio follow-up/baseline p50: {c50 / f50:.2f}" if f50 and f50 == f50 else "ratio: n/a")
print("target: follow-up p50 < 50 ms")
sys.exit(0 if chain and c50 < 50 else 1)
PY
