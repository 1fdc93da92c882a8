#!/usr/bin/env bash
# The fault suite (make faults): a release build of mpshook against a throwaway PostgreSQL,
# put through kill -9 under load, PostgreSQL stopped and stalled, and hostile clients
# (deploy/faults/faults.py), then the fuzzers' regression run over their committed corpora and a
# short fuzzing run per target (deploy/faults/fuzz.sh). Prints one report, also written to
# .local/faults/report.md; exits non-zero when any check fails.
#
# Settings (environment):
#   FAULTS_SCENARIOS        kill,pgstop,pgstall,hostile (a comma-separated subset)
#   FAULTS_KILLS            12 SIGKILLs in the kill scenario
#   FAULTS_CONFIGURATION    release (debug: the binary `swift build` made, as the test command uses)
#   FAULTS_FUZZ_SECONDS     20 seconds of fuzzing per target after the regression run (0: regression only)
#   FAULTS_FUZZ             on (off: no fuzzing at all)
#   FAULTS_PG_PORT, FAULTS_HTTP_PORT, FAULTS_SEED; FAULTS_ARGS: more faults.py options
set -euo pipefail

# A step that fails stops the run: say which, in the form the test command's summary looks for.
trap 'echo "faults: FAILED at line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
pg_port="${FAULTS_PG_PORT:-55434}"
http_port="${FAULTS_HTTP_PORT:-18090}"
configuration="${FAULTS_CONFIGURATION:-release}"
state="$root/.local/faults"
mkdir -p "$state"
: >"$state/serve.log"
rm -f "$state/summary" .local/fuzz/summary
report="$state/report.md"
started=$(date +%s)

echo "== installing missing packages (if any)"
command -v python3 >/dev/null || scripts/install-deps.sh python3
if [ "$configuration" = release ]; then
    echo "== release build"
    swift build -c release --product mpshook 2>&1 | grep -E "error|Build of" || true
fi
# The last line only: SwiftPM may print more (a resolution, a warning) before the path.
bin_dir="$(swift build -c "$configuration" --show-bin-path 2>/dev/null | tail -n 1)"
bin="$bin_dir/mpshook"
[ -x "$bin" ] || bin="$root/.build/$configuration/mpshook"
[ -x "$bin" ] || { echo "faults: FAILED: no mpshook binary in $bin_dir or .build/$configuration (build it first)" >&2; exit 1; }
built=$(date +%s)

cleanup() { scripts/pg.sh reset faults "$pg_port" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
echo "== throwaway PostgreSQL on 127.0.0.1:$pg_port"
scripts/pg.sh reset faults "$pg_port" >/dev/null 2>&1 || true
server_url="$(scripts/pg.sh start faults "$pg_port")"
psql "$server_url" -qc "CREATE DATABASE mpshookfaults"
database_url="postgresql://postgres@127.0.0.1:$pg_port/mpshookfaults"
MPSHOOK_DATABASE_URL="$database_url" "$bin" migrate >"$state/migrate.log" 2>&1 || { cat "$state/migrate.log" >&2; exit 1; }

status=0
echo "== fault scenarios"
# shellcheck disable=SC2086
python3 deploy/faults/faults.py --binary "$bin" --database-url "$database_url" --server-url "$server_url" \
    --pg-name faults --pg-port "$pg_port" --http-port "$http_port" --state "$state" --report "$state/scenarios.md" \
    --scenarios "${FAULTS_SCENARIOS:-kill,pgstop,pgstall,hostile}" --kills "${FAULTS_KILLS:-12}" \
    ${FAULTS_SEED:+--seed "$FAULTS_SEED"} ${FAULTS_ARGS:-} || status=$?
scenarios_done=$(date +%s)

fuzz_status=0
: >"$state/fuzz.md"
if [ "${FAULTS_FUZZ:-on}" = on ]; then
    echo "== fuzzing: regression over the committed corpora, then ${FAULTS_FUZZ_SECONDS:-20} s per target"
    deploy/faults/fuzz.sh --regression --seconds "${FAULTS_FUZZ_SECONDS:-20}" --report "$state/fuzz.md" || fuzz_status=$?
fi
finished=$(date +%s)

{
    echo "# Fault suite report"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -n): $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(swift --version 2>/dev/null | head -n 1)"
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)'); mpshook $configuration build"
    echo "time: build $((built - started)) s, scenarios $((scenarios_done - built)) s, fuzzing $((finished - scenarios_done)) s, total $((finished - started)) s"
    tail -n +2 "$state/scenarios.md" 2>/dev/null || echo "(the scenarios wrote no report)"
    cat "$state/fuzz.md"
} >"$report"
echo
echo "== report: $report"
grep -E "^- FAIL|check\(s\) FAILED|^crashes \(property violations included\): [1-9]" "$report" || true
summary="faults: $(cat "$state/summary" 2>/dev/null || echo "scenarios: no summary")"
[ "${FAULTS_FUZZ:-on}" = on ] && summary="$summary; $(cat .local/fuzz/summary 2>/dev/null || echo "fuzzing: no summary")"
echo "$summary ($((finished - started)) s)"
if [ "$status" -ne 0 ] || [ "$fuzz_status" -ne 0 ]; then
    echo "faults: FAILED (scenarios exit $status, fuzzing exit $fuzz_status)" >&2
    exit 1
fi
echo "faults: all checks passed"
