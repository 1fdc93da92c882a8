#!/usr/bin/env bash
# Retention's cost (deploy/bench/retention.sh): how long `mpshook prune` takes over BENCH_OLD
# old notifications, and what the door's latency does meanwhile. Loads a throwaway PostgreSQL
# with two generations of BENCH_OLD applied notifications of finished jobs (45 and 40 days old,
# ~1.5 KB bodies: deploy/bench/retention.sql) and BENCH_STEPS submitted steps for the door, then:
#   1. prune the first generation alone (no other load)                       -> rows/s
#   2. the door alone, the applier on (BENCH_SECONDS with wrk)                 -> acked/s, p50/p99
#   3. the door again while the second generation is pruned                   -> acked/s, p50/p99, rows/s
#   4. a pass that finds nothing left (what every interval costs afterwards)  -> seconds
# Settings (environment): BENCH_OLD (1000000), BENCH_JOBS (10000 finished jobs the old rows
# belong to), BENCH_STEPS (20000), BENCH_SECONDS (20), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
# BENCH_PAUSE_MS (retention's pause between batches, default the setting's: 100),
# BENCH_BATCH (1000), BENCH_RETENTION_PG_PORT (55473), BENCH_HTTP_PORT (18090).
# Needs about 5 GB of free disk for the default counts.
set -euo pipefail
bench_name=bench-retention
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

old="${BENCH_OLD:-1000000}"
jobs="${BENCH_JOBS:-10000}"
steps="${BENCH_STEPS:-20000}"
seconds="${BENCH_SECONDS:-20}"
connections="${BENCH_CONNECTIONS:-32}"
threads="${BENCH_THREADS:-2}"
pause_ms="${BENCH_PAUSE_MS:-100}"
batch="${BENCH_BATCH:-1000}"
pg_port="${BENCH_RETENTION_PG_PORT:-55473}"
http_port="${BENCH_HTTP_PORT:-18090}"
state="$bench_root/.local/bench-retention"
mkdir -p "$state"
log="$state/serve.log"
: >"$log"

need_mb=$(( old * 2 * 2300 / 1000000 + 1000 ))
free_mb="$(df -Pm "$bench_root" | awk 'NR == 2 { print $4 }')"
echo "== disk: $free_mb MB free, about $need_mb MB needed"
[ "$free_mb" -gt "$need_mb" ] || { echo "$bench_name: not enough disk; lower BENCH_OLD" >&2; exit 1; }

echo "== installing missing packages (if any), wrk included"
scripts/install-deps.sh wrk
echo "== release build"
release_build mpshook mpshook-bench

server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    stop_server
    drop_postgres bench-retention "$pg_port"
}
trap cleanup EXIT INT TERM

echo "== throwaway PostgreSQL on 127.0.0.1:$pg_port"
throwaway_postgres bench-retention "$pg_port" mpshookretention
sql() { psql "$database_url" -tAqc "$1"; }

callback_keys="bench:$(random_key 32)"
notify_key="bench-notify-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export MPSHOOK_DATABASE_URL="$database_url" MPSHOOK_HTTP_PORT="$http_port" \
    MPSHOOK_PUBLIC_BASE_URL="http://127.0.0.1:$http_port" MPSHOOK_CALLBACK_KEYS="$callback_keys" \
    MPSHOOK_NOTIFY_KEY="$notify_key" LOG_LEVEL=warning
unset TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY

"$bin/mpshook" migrate >/dev/null
echo "== loading 2 x $old old notifications of $jobs finished jobs"
started=$(date +%s)
psql "$database_url" -q -v old="$old" -v jobs="$jobs" -f deploy/bench/retention.sql >/dev/null
echo "   loaded in $(( $(date +%s) - started )) s: $(sql "SELECT pg_size_pretty(pg_total_relation_size('notifications'))") (notifications with indexes and TOAST)"
echo "== preloading $steps steps for the door"
"$bin/mpshook-bench" preload --database-url "$database_url" --steps "$steps" \
    --callback-keys "$callback_keys" --notify-key "$notify_key" --out "$state/steps.tsv"

drive() {  # $1 offset: prints wrk's RESULT line
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s -s deploy/bench/intake.lua \
        "http://127.0.0.1:$http_port" -- "$state/steps.tsv" "$threads" "$1" /mps/notify | grep '^RESULT'
}
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }
rate() { awk -v r="$(field requests "$1")" -v n="$(field non2xx "$1")" -v e="$(field errors "$1")" -v s="$(field seconds "$1")" \
    'BEGIN { printf "%.0f", (r - n - e) / s }'; }
now_ms() { date +%s%3N; }
prune() {  # $1 --older-than; prints "rows seconds"
    local begun output
    begun=$(now_ms)
    output="$("$bin/mpshook" prune --older-than "$1" --batch-size "$batch" --pause-ms "$pause_ms")"
    echo "$(sed -E 's/pruned ([0-9]+) .*/\1/' <<<"$output") $(awk -v ms=$(( $(now_ms) - begun )) 'BEGIN { printf "%.1f", ms / 1000 }')"
}

echo "== 1/4 pruning the first generation alone (older than 42 days; batches of $batch, ${pause_ms} ms apart)"
read -r alone_rows alone_seconds <<<"$(prune 42d)"
echo "   $alone_rows rows in ${alone_seconds}s"

MPSHOOK_APPLIER=on "$bin/mpshook" serve >>"$log" 2>&1 &
server_pid=$!
wait_for_url "http://127.0.0.1:$http_port/readyz" "$server_pid" "$log"
drive 0 >/dev/null  # warm-up (and the steps' first reports)

echo "== 2/4 the door alone ($connections connections, ${seconds}s, applier on)"
door="$(drive 1000000)"
echo "   $door"

echo "== 3/4 the door while the second generation is pruned"
prune 30d >"$state/prune-under-load" &
prune_pid=$!
loaded="$(drive 2000000)"
wait "$prune_pid"
read -r loaded_rows loaded_seconds <"$state/prune-under-load"
echo "   $loaded"
echo "   $loaded_rows rows in ${loaded_seconds}s"
stop_server

echo "== 4/4 a pass with nothing left to prune"
read -r empty_rows empty_seconds <<<"$(prune 30d)"
echo "   $empty_rows rows in ${empty_seconds}s"

echo
echo "== report (2 shared cores: wrk, mpshook and PostgreSQL together)"
printf "%-48s %10s %9s %9s\n" "door run" "acked/s" "p50 ms" "p99 ms"
printf "%-48s %10s %9s %9s\n" "alone" "$(rate "$door")" "$(field p50_ms "$door")" "$(field p99_ms "$door")"
printf "%-48s %10s %9s %9s\n" "while pruning" "$(rate "$loaded")" "$(field p50_ms "$loaded")" "$(field p99_ms "$loaded")"
echo
awk -v r="$alone_rows" -v s="$alone_seconds" 'BEGIN { printf "prune alone:         %d rows in %.1f s (%.0f rows/s)\n", r, s, (s > 0 ? r / s : 0) }'
awk -v r="$loaded_rows" -v s="$loaded_seconds" -v d="$seconds" \
    'BEGIN { printf "prune under the door: %d rows in %.1f s (%.0f rows/s; the door ran the first %d s)\n", r, s, (s > 0 ? r / s : 0), d }'
echo "a pass with nothing left: ${empty_seconds} s"
echo "batches of $batch rows, ${pause_ms} ms apart; $old rows a generation"
