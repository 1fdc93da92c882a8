#!/usr/bin/env bash
# The REST API list-query benchmark (make bench-api). Loads a throwaway PostgreSQL with the
# issue's data set (deploy/bench/api-queries.sql: 10 million notifications, 1 million steps with
# their 500,000 jobs, about 2 million outputs and 1.1 million attempts), then times every list
# (ListingStore, the functions the API calls) for a 50-row page on every documented filter
# combination: the first page and a deep page reached by following the cursor, p50/p99 over
# BENCH_RUNS runs each, with `EXPLAIN (ANALYZE, BUFFERS)` of both, into the report.
# Settings (environment): BENCH_JOBS (500000; steps are two per job), BENCH_NOTIFICATIONS
# (10000000), BENCH_RUNS (200), BENCH_DEEP_PAGES (20), BENCH_API_PG_PORT (55452),
# BENCH_REPORT (.local/bench/api-queries.md), BENCH_KEEP=1 keeps the cluster (and skips the
# load when it already holds the data: rerun the queries only).
# Needs about 10 GB of free disk for the default counts (checked first).
set -euo pipefail
bench_name=bench-api
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

jobs="${BENCH_JOBS:-500000}"
notifications="${BENCH_NOTIFICATIONS:-10000000}"
runs="${BENCH_RUNS:-200}"
deep_pages="${BENCH_DEEP_PAGES:-20}"
pg_port="${BENCH_API_PG_PORT:-55452}"
state="$bench_root/.local/bench"
report="${BENCH_REPORT:-$state/api-queries.md}"
keep="${BENCH_KEEP:-0}"
mkdir -p "$state"

# About 850 bytes a notification with its indexes, 2 KB a job with its steps, outputs and attempts.
need_mb=$(( (notifications * 850 + jobs * 2000) / 1000000 + 1000 ))
free_mb="$(df -Pm "$bench_root" | awk 'NR == 2 { print $4 }')"
echo "== disk: $free_mb MB free, about $need_mb MB needed"
df -h "$bench_root" | tail -n 1
[ "$free_mb" -gt "$need_mb" ] || { echo "$bench_name: not enough disk; lower BENCH_NOTIFICATIONS / BENCH_JOBS" >&2; exit 1; }

echo "== release build"
release_build mpshook mpshook-bench

cleanup() {
    [ "$keep" = 1 ] || drop_postgres bench-api "$pg_port"
}
trap cleanup EXIT INT TERM

database_url="postgresql://postgres@127.0.0.1:$pg_port/mpshookapi"
if [ "$keep" = 1 ] && scripts/pg.sh status bench-api >/dev/null 2>&1 \
    && [ "$(psql "$database_url" -tAc "SELECT count(*) FROM notifications" 2>/dev/null || echo 0)" = "$notifications" ]; then
    echo "== reusing the loaded cluster on 127.0.0.1:$pg_port"
    # A newer migration (the stats counts' backfill included) is applied to the kept data.
    MPSHOOK_DATABASE_URL="$database_url" LOG_LEVEL=warning "$bin/mpshook" migrate
else
    echo "== throwaway PostgreSQL on 127.0.0.1:$pg_port"
    throwaway_postgres bench-api "$pg_port" mpshookapi
    # The data set is about 8 GB: give the cache room, and let the load write in big checkpoints.
    psql "postgresql://postgres@127.0.0.1:$pg_port/postgres" -qc "ALTER SYSTEM SET shared_buffers = '2GB'" \
        -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '30min'"
    scripts/pg.sh stop bench-api >/dev/null
    scripts/pg.sh start bench-api "$pg_port" >/dev/null
    MPSHOOK_DATABASE_URL="$database_url" LOG_LEVEL=warning "$bin/mpshook" migrate
    echo "== loading $jobs jobs, $((jobs * 2)) steps, $notifications notifications"
    start=$SECONDS
    psql "$database_url" -q -v jobs="$jobs" -v notifications="$notifications" -f deploy/bench/api-queries.sql
    psql "$database_url" -qc "VACUUM ANALYZE"
    echo "   loaded in $((SECONDS - start)) s"
    psql "$database_url" -c "SELECT relname AS table, n_live_tup AS rows, pg_size_pretty(pg_total_relation_size(relid)) AS size
        FROM pg_stat_user_tables WHERE relname IN ('jobs', 'steps', 'outputs', 'notifications', 'attempts') ORDER BY relname"
fi

echo "== timing the lists ($runs runs a page)"
"$bin/mpshook-bench" listings --database-url "$database_url" --runs "$runs" --deep-pages "$deep_pages" --report "$report"

echo "== timing the stats (GET /v1/stats: its statement and the whole report, 1 hour to 31 days)"
"$bin/mpshook-bench" stats --database-url "$database_url" --runs "$runs" --report "${report%.md}-stats.md"
