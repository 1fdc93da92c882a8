#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, starts a throwaway
# PostgreSQL, runs `swift test` against it, and stops the cluster even on failure.
# Database tests fail (never skip) when the cluster cannot be started.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${MPSHOOK_TEST_PG_PORT:-55433}"

# nginx and openssl: NginxIntegrationTests runs Debian's nginx with a certificate it makes.
scripts/install-deps.sh nginx openssl

scripts/pg.sh reset test "$port" >/dev/null 2>&1 || true
trap 'scripts/pg.sh reset test "$port" >/dev/null 2>&1 || true' EXIT

export MPSHOOK_TEST_REQUIRE_DATABASE=1
# Without fsync: the parallel pass creates and drops ~900 databases, each CREATE DATABASE writing
# its template into the WAL, so checkpoints come every few seconds, and each DROP DATABASE waits
# for one; with fsync on, a checkpoint under that load took over 30 s (drops hit the statement
# timeout). Nothing here survives an OS crash, which no test makes; a process crash (mpshook or
# PostgreSQL killed) loses nothing either way, since the WAL is written at commit. The fault
# suite's own cluster (make faults, the subset below) keeps fsync on.
if url="$(MPSHOOK_PG_FSYNC=off scripts/pg.sh start test "$port")"; then
    export MPSHOOK_TEST_DATABASE_URL="$url"
    echo "test database: $url"
else
    echo "test.sh: could not start PostgreSQL; the database tests will fail" >&2
fi

# The official Tencent Cloud SDK checks our wire format (SDKConformanceTests); required here.
export MPSHOOK_TEST_REQUIRE_SDK=1
if sdk_python="$(scripts/sdk-venv.sh)"; then
    export MPSHOOK_SDK_PYTHON="$sdk_python"
else
    echo "test.sh: could not install the Tencent Cloud Python SDK; the conformance test will fail" >&2
fi

echo "== swift build (warnings are errors for our own code)"
build_log="$(mktemp)"
swift build --build-tests 2>&1 | tee "$build_log" | grep -E "error|warning:|Compiling mpshook|Build complete" || true
if grep -E "^/.*(Sources|Tests)/.*warning:" "$build_log" | grep -v "/.build/" | grep -q .; then
    echo "test.sh: the build printed warnings in mpshook's own code:" >&2
    grep -E "^/.*(Sources|Tests)/.*warning:" "$build_log" | grep -v "/.build/" | sort -u >&2
    exit 1
fi
grep -q "error:" "$build_log" && exit 1

echo "== swift test"
test_log="$(mktemp)"
status=0
# Two passes. The suites that start whole services, kill processes or measure time against a
# bound run on their own, one test at a time: run beside 600 other tests on 2 cores their
# bounds (a lease renewed in time, 20 calls in a second, a pool checkout within 5 s) would
# measure the neighbours, not mpshook. Everything else runs in parallel first.
# Arguments (e.g. --filter X) run one pass with them instead.
timed='WorkflowEndToEndTests|ReconcilerTests|ReconcilerLeaderTests|ContinuousRecoveryTests|WorkflowCrashTests|DispatchIntegrationTests'
timed+='|CallPermitStoreTests|SickDatabaseTests|DoorOutageLogTests|PostgresPoolTests|WebhookDeliveryTests|StepCommandTests|KeyCommandTests|HostileConnectionTests|DescriptorExhaustionTests'
timed+='|PostgresListenerTests|EventStreamTests|JobCancelEndToEndTests|NginxIntegrationTests|RollingRestartTests'
# The change feed reads what the cluster's oldest open transaction lets it; the metrics test
# needs three calls within the emulator's second; retention in a running service is waited for.
timed+='|ChangeFeedTests|MetricsEndToEndTests|RetentionServiceTests'
# Every suite (or test) that starts mpshook, the emulator or the SDK as processes: in the parallel pass a
# migrate that takes 0.3 s alone took 20 s here and over 30 s in CI (the debug binary loading
# beside 800 tests). And the tests whose claim is "at once" or "within its timeout".
timed+='|ServiceTests|NotificationsCommandTests|SubmitCommandTests|WorkflowCommandTests|ConfigCommandTests'
timed+='|JobsAPIIntegrationTests|WorkflowJobsAPITests|EndToEndTests|EmulatorFaultSwitchTests|SDKConformanceTests'
timed+='|GroupCommitterTests|CurlClientTests|PostgresSubscriptionTests|PostgresLeaderLockTests|APIKeySecretTests/hugeAndOddInputsAreRefusedQuickly|RetentionTests/thePruneCommandCountsThenPrunes'
if [ "$#" -gt 0 ]; then
    swift test --skip-build "$@" 2>&1 | tee "$test_log" || status=$?
else
    echo "-- pass 1: in parallel"
    swift test --skip-build --skip "$timed" 2>&1 | tee "$test_log" || status=$?
    echo "-- pass 2: services, crashes and timing bounds, one at a time"
    swift test --skip-build --no-parallel --filter "$timed" 2>&1 | tee -a "$test_log" || status=$?
fi
# Swift Testing's own totals ("Test run with N tests …", one per pass), and its failed tests.
total="$(grep -oE "Test run with [0-9]+ tests" "$test_log" | grep -oE "[0-9]+" | awk '{ n += $1 } END { print n + 0 }')"
failed="$(grep -E "^✘ Test .* failed after" "$test_log" | grep -vc "^✘ Test run" || true)"
tests_summary="tests: $((total - failed)) passed, $failed failed"
echo "$tests_summary"
rm -f "$test_log" "$build_log"

# The API against its contract: schemathesis generates requests from Sources/API/openapi.yaml and
# sends them to a live mpshook (the debug build above) on the test cluster, with an admin key;
# every answer must be documented (status, content type, headers, schema) and none a 5xx.
echo "== API contract: schemathesis against openapi.yaml and a live server"
api_summary="api-check: passed"
if [ -n "${MPSHOOK_TEST_DATABASE_URL:-}" ]; then
    scripts/api-check.sh "$MPSHOOK_TEST_DATABASE_URL" || { status=1; api_summary="api-check: FAILED (see above)"; }
else
    echo "api-check: no test database" >&2
    status=1
    api_summary="api-check: FAILED (no test database)"
fi

# The alert rules and the dashboard: promtool check rules, the rules' own test scenarios, the
# dashboard's JSON (that every metric they name is served is MetricsEndToEndTests' part).
echo "== monitoring files: promtool"
monitoring_summary="monitoring: passed"
deploy/prometheus/check.sh || { status=1; monitoring_summary="monitoring: FAILED (see above)"; }

# A short part of the fault suite (make faults): mpshook (the debug build above) SIGKILLed under
# load three times with every acknowledged notification found stored, and every committed fuzz
# corpus input run once. Fails on a missing acknowledged notification or a fuzz crash.
echo "== fault suite subset: kill -9 under load, fuzz regression"
mkdir -p .local/faults
faults_log=.local/faults/test-subset.log
faults_status=0
FAULTS_CONFIGURATION=debug FAULTS_SCENARIOS=kill FAULTS_KILLS=3 FAULTS_FUZZ_SECONDS=0 deploy/faults/run.sh >"$faults_log" 2>&1 \
    || faults_status=$?
grep -E "^faults: |^- FAIL|^fuzz.sh:|^pg.sh:" "$faults_log" || echo "faults: no summary (see $faults_log)"
if [ "$faults_status" -ne 0 ]; then
    # CI shows only the end of this output: the reason goes here, not only into the log.
    echo "faults: exit $faults_status; the log's last lines:"
    tail -n 25 "$faults_log" | sed 's/^/    /'
    echo "    (disk: $(df -h . | awk 'NR == 2 { print $4 " free of " $2 }'))"
    status=1
fi

# The outcome of each part again, last, where a CI excerpt shows it.
echo "== summary"
echo "$tests_summary"
echo "$api_summary"
echo "$monitoring_summary"
grep -E "^faults: (scenarios|all checks passed|FAILED)" "$faults_log" | tail -n 2 || true
exit "$status"
