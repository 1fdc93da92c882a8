#!/usr/bin/env bash
# The intake and applier benchmark (make bench). Starts a throwaway PostgreSQL and the release
# build, preloads steps, then drives verified notifications at the door over loopback with wrk:
#   1. baseline: the door with no database (checks, then answers)        -> ceiling of HTTP + checks
#   2. baseline: the door with one INSERT + commit per request            -> what group commit replaces
#   3. the product: the door with the group commit (applier off: a storm) -> acknowledged/s, p50/p99
#   4. the applier draining the backlog that run 3 stored                 -> applied/s
#   5. a fixed offered rate with the applier on                          -> apply lag p50/p99 (200 -> applied)
# Every figure comes from the same binary in the same run; ratios are against runs 1 and 2.
# Settings (environment): BENCH_STEPS (100000), BENCH_SECONDS (10), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2), BENCH_LAG_CONNECTIONS (15), BENCH_LAG_DELAY_MS (4), BENCH_LAG_SECONDS (15),
# BENCH_AFTER_MIGRATE_SQL (SQL run after migrating: A/B runs of one build).
# mpshook's own settings (MPSHOOK_INTAKE_WRITERS, MPSHOOK_INTAKE_BATCH_SIZE, …) pass through.
set -euo pipefail
bench_name=bench
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_port="${BENCH_PG_PORT:-55450}"
http_port="${BENCH_HTTP_PORT:-18080}"
steps="${BENCH_STEPS:-100000}"
seconds="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
lag_connections="${BENCH_LAG_CONNECTIONS:-15}"
lag_delay="${BENCH_LAG_DELAY_MS:-4}"
lag_seconds="${BENCH_LAG_SECONDS:-15}"
state="$bench_root/.local/bench"
mkdir -p "$state"
log="$state/serve.log"
: >"$log"

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
    drop_postgres bench "$pg_port"
}
trap cleanup EXIT INT TERM

echo "== throwaway PostgreSQL on 127.0.0.1:$pg_port"
throwaway_postgres bench "$pg_port" mpshookbench
sql() { psql "$database_url" -tAqc "$1"; }

callback_keys="bench:$(random_key 32)"
notify_key="bench-notify-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export MPSHOOK_DATABASE_URL="$database_url" MPSHOOK_HTTP_PORT="$http_port" \
    MPSHOOK_PUBLIC_BASE_URL="http://127.0.0.1:$http_port" MPSHOOK_CALLBACK_KEYS="$callback_keys" \
    MPSHOOK_NOTIFY_KEY="$notify_key" MPSHOOK_BENCH_BASELINES=on LOG_LEVEL=warning
unset TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY

"$bin/mpshook" migrate >/dev/null
# For A/B runs of one build: SQL run after migrating (e.g. triggers disabled, to price them).
if [ -n "${BENCH_AFTER_MIGRATE_SQL:-}" ]; then
    echo "== after migrating: $BENCH_AFTER_MIGRATE_SQL"
    sql "$BENCH_AFTER_MIGRATE_SQL" >/dev/null
fi
echo "== preloading $steps steps"
"$bin/mpshook-bench" preload --database-url "$database_url" --steps "$steps" \
    --callback-keys "$callback_keys" --notify-key "$notify_key" --out "$state/steps.tsv"

start_server() {  # $1: MPSHOOK_APPLIER (on|off)
    MPSHOOK_APPLIER="$1" "$bin/mpshook" serve >>"$log" 2>&1 &
    server_pid=$!
    wait_for_url "http://127.0.0.1:$http_port/readyz" "$server_pid" "$log"
}

# Runs wrk against PATH from sequence OFFSET; prints the script's RESULT line.
drive() {  # $1 path, $2 offset, $3 connections, $4 seconds, [$5 delay ms]
    local threads_used="$threads"
    [ "$3" -lt "$threads_used" ] && threads_used="$3"
    BENCH_DELAY_MS="${5:-}" wrk -t"$threads_used" -c"$3" -d"$4s" --timeout 10s -s deploy/bench/intake.lua \
        "http://127.0.0.1:$http_port" -- "$state/steps.tsv" "$threads_used" "$2" "$1" | grep '^RESULT'
}
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }
rate() { awk -v r="$(field requests "$1")" -v n="$(field non2xx "$1")" -v e="$(field errors "$1")" -v s="$(field seconds "$1")" \
    'BEGIN { printf "%.0f", (r - n - e) / s }'; }

start_server off
echo "== warming up"
drive /mps/notify/_baseline/discard 0 "$connections" 2 >/dev/null

echo "== 1/5 baseline: the door without a database ($connections connections, ${seconds}s)"
discard="$(drive /mps/notify/_baseline/discard 0 "$connections" "$seconds")"
echo "   $discard"

echo "== 2/5 baseline: one INSERT and commit per request"
single="$(drive /mps/notify/_baseline/insert 0 "$connections" "$seconds")"
echo "   $single"
single_rows="$(sql "SELECT count(*) FROM notifications")"
sql "TRUNCATE notifications" >/dev/null

echo "== 3/5 the product: group commit (applier off, as in a storm)"
group="$(drive /mps/notify 0 "$connections" "$seconds")"
echo "   $group"
group_rows="$(sql "SELECT count(*) FROM notifications")"
body_sizes="$(sql "SELECT round(avg(octet_length(body))) || ' bytes on average (' || min(octet_length(body)) || '-' || max(octet_length(body))
                    || '), ' || round(100.0 * count(*) FILTER (WHERE body LIKE '%\"Status\":\"PROCESSING\"%') / count(*)) || '% in progress'
                   FROM notifications")"
group_acked=$(( $(field requests "$group") - $(field non2xx "$group") - $(field errors "$group") ))
stop_server

echo "== 4/5 the applier draining $group_rows stored notifications"
sql "CHECKPOINT" >/dev/null
start_server on
for _ in $(seq 1 1200); do
    [ "$(sql "SELECT NOT EXISTS (SELECT 1 FROM notifications WHERE outcome = 'pending')")" = "t" ] && break
    sleep 0.25
done
drain="$(sql "SELECT count(*), extract(epoch FROM max(applied_at) - min(applied_at)),
                     count(*) FILTER (WHERE outcome = 'applied'), count(*) FILTER (WHERE outcome <> 'applied')
              FROM notifications")"
IFS='|' read -r drained drain_seconds drained_applied drained_other <<<"$drain"
drain_rate="$(awk -v n="$drained" -v s="$drain_seconds" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')"
echo "   $drained notifications in ${drain_seconds}s: $drain_rate/s ($drained_applied applied, $drained_other other)"

echo "== 5/5 apply lag at a fixed offered rate ($lag_connections connections, ${lag_delay} ms apart, ${lag_seconds}s)"
last_id="$(sql "SELECT coalesce(max(id), 0) FROM notifications")"
lag="$(drive /mps/notify $(( steps * 10 )) "$lag_connections" "$lag_seconds" "$lag_delay")"
echo "   $lag"
for _ in $(seq 1 400); do
    [ "$(sql "SELECT NOT EXISTS (SELECT 1 FROM notifications WHERE outcome = 'pending')")" = "t" ] && break
    sleep 0.05
done
lag_stats="$(sql "SELECT count(*),
        round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM applied_at - received_at)) * 1000)::numeric, 1),
        round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM applied_at - received_at)) * 1000)::numeric, 1)
    FROM notifications WHERE id > $last_id")"
IFS='|' read -r lag_rows lag_p50 lag_p99 <<<"$lag_stats"
stop_server

group_rate="$(rate "$group")"
echo
echo "== report (2 shared cores: wrk, mpshook and PostgreSQL together; $steps steps preloaded)"
printf "%-44s %10s %9s %9s\n" "run" "acked/s" "p50 ms" "p99 ms"
printf "%-44s %10s %9s %9s\n" "1 baseline: no database" "$(rate "$discard")" "$(field p50_ms "$discard")" "$(field p99_ms "$discard")"
printf "%-44s %10s %9s %9s\n" "2 baseline: one INSERT per request" "$(rate "$single")" "$(field p50_ms "$single")" "$(field p99_ms "$single")"
printf "%-44s %10s %9s %9s\n" "3 group commit (the product)" "$group_rate" "$(field p50_ms "$group")" "$(field p99_ms "$group")"
echo
awk -v g="$group_rate" -v d="$(rate "$discard")" -v s="$(rate "$single")" \
    'BEGIN { printf "group commit / no database: %.2f    group commit / one INSERT per request: %.2f\n", g / d, g / s }'
single_acked=$(( $(field requests "$single") - $(field non2xx "$single") - $(field errors "$single") ))
echo "rows stored vs 2xx answered: run 2 $single_rows rows / $single_acked acked; run 3 $group_rows rows / $group_acked acked (non-2xx: $(field non2xx "$group"))"
echo "  rows - acked: run 2 $(( single_rows - single_acked )), run 3 $(( group_rows - group_acked )): requests in flight when wrk stopped counting (stored, answered late);"
echo "  a 2xx for something not stored would make this negative"
if [ "$group_rows" -lt "$group_acked" ] || [ "$single_rows" -lt "$single_acked" ]; then echo "FAIL: fewer rows than acknowledgements" >&2; exit 1; fi
echo "notification bodies: $body_sizes"
echo "applier drain: $drain_rate notifications/s ($drained in ${drain_seconds}s)"
echo "apply lag at $(rate "$lag")/s offered: p50 ${lag_p50} ms, p99 ${lag_p99} ms over $lag_rows notifications (received -> applied)"
echo "targets: acked >= 13000/s with p99 <= 10 ms and >= 0.6 of the no-database door; drain >= 8000/s; lag p99 <= 250 ms at 2000/s"
