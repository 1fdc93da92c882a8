#!/usr/bin/env bash
# The libFuzzer targets of Fuzz/ (make fuzz; make faults and the test command run parts):
#   notification         the door's read path: UTF-8, NotificationVerifier.read and check, the token check
#   notification-report  NotificationReport.decode, as the applier runs it, against the door's reading
#   job-request          JobRequest.parse, what POST /v1/jobs and `mpshook submit` decode
# Every target also checks its properties on each input (Fuzz/Sources/*): a broken one aborts
# like a crash. Inputs that find new code go to .local/fuzz/corpus/TARGET; Fuzz/corpus/TARGET is
# the committed corpus (--merge adds the new finds to it). Crashes: .local/fuzz/crashes/.
#
#   fuzz.sh --regression                 each committed corpus input once (the test command)
#   fuzz.sh --runs 10000000 [--jobs 2]   N executions per target, JOBS targets at a time (make fuzz)
#   fuzz.sh --seconds 20                 S seconds per target
#   options: --targets a,b  --report FILE  --merge  --fast-jobs (job-request without ASan: see below)
# Prints a Markdown table (executions, exec/s, new inputs, crashes); exits 1 on any crash.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
regression=0 runs="" seconds="" jobs=2 merge=0 fast_jobs=0 report="" targets="job-request,notification,notification-report"  # the slowest first, when two run at a time
while [ $# -gt 0 ]; do
    case "$1" in
    --regression) regression=1 ;;
    --runs) runs="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --targets) targets="$2"; shift ;;
    --report) report="$2"; shift ;;
    --merge) merge=1 ;;
    --fast-jobs) fast_jobs=1 ;;
    *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ "$seconds" = 0 ] && seconds=""
state="$root/.local/fuzz"
mkdir -p "$state/crashes" "$state/logs"
report="${report:-$state/report.md}"
mkdir -p "$(dirname "$report")"

product() {
    case "$1" in
    notification) echo FuzzNotification ;;
    notification-report) echo FuzzNotificationReport ;;
    job-request) echo FuzzJobRequest ;;
    *) echo "fuzz.sh: unknown target $1" >&2; exit 2 ;;
    esac
}

# -O with libFuzzer's coverage and AddressSanitizer. The scanner reads through unsafe buffer
# pointers, unchecked at -O: ASan is what turns a stray read there into a crash.
build() {  # $1 scratch path, $2 sanitizers, $3... products
    local scratch="$1" sanitizers="$2"
    shift 2
    for name in "$@"; do
        (cd Fuzz && swift build -c release --scratch-path "$scratch" --product "$name" \
            -Xswiftc -sanitize="$sanitizers" -Xswiftc -use-ld=lld 2>&1) | grep -E "error|Build of" || true
    done
}
IFS=',' read -r -a chosen <<<"$targets"
products=()
for target in "${chosen[@]}"; do products+=("$(product "$target")"); done
echo "== building the fuzzers (${products[*]})"
build .build fuzzer,address "${products[@]}"
binary() {  # $1 target
    if [ "$fast_jobs" = 1 ] && [ "$1" = job-request ]; then
        echo "$root/Fuzz/.build-fast/release/FuzzJobRequest"
    else
        echo "$root/Fuzz/.build/release/$(product "$1")"
    fi
}
if [ "$fast_jobs" = 1 ] && [[ ",$targets," == *",job-request,"* ]] && { [ -n "$runs" ] || [ -n "$seconds" ]; }; then
    # JobRequest's path is safe Swift and Foundation (no unsafe pointers of ours), where ASan
    # finds nothing and costs about two thirds of the speed: fuzzed with coverage only.
    echo "== building the job-request fuzzer without ASan (--fast-jobs)"
    build .build-fast fuzzer FuzzJobRequest
fi
for target in "${chosen[@]}"; do
    [ -x "$(binary "$target")" ] || { echo "fuzz.sh: $(binary "$target") was not built" >&2; exit 1; }
done

export SWIFT_BACKTRACE=enable=no   # else Swift's crash handler runs under ASan and hides the failure
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0:detect_leaks=0}"
common=(-max_len=4096 -print_final_stats=1 -rss_limit_mb=2048 -timeout=10)
failures=0
rows=()

stat() { grep -E "^stat::$1:" "$2" | tail -n 1 | awk '{print $2}'; }

echo "== running: ${chosen[*]}"
run_target() {  # $1 target, $2 mode; writes $state/logs/TARGET.MODE.log and .exit
    local target="$1" mode="$2" log="$state/logs/$1.$2.log" work="$state/corpus/$1"
    mkdir -p "$work"
    local args=("${common[@]}" "-artifact_prefix=$state/crashes/$target-")
    local start end code=0
    start=$(date +%s.%N)
    if [ "$mode" = regression ]; then
        "$(binary "$target")" "${args[@]}" -runs=0 "Fuzz/corpus/$target" >"$log" 2>&1 || code=$?
    elif [ -n "$runs" ]; then
        "$(binary "$target")" "${args[@]}" -runs="$runs" "$work" "Fuzz/corpus/$target" >"$log" 2>&1 || code=$?
    else
        "$(binary "$target")" "${args[@]}" -max_total_time="$seconds" "$work" "Fuzz/corpus/$target" >"$log" 2>&1 || code=$?
    fi
    end=$(date +%s.%N)
    echo "$code $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')" >"$log.exit"
}

modes=()
[ "$regression" = 1 ] && modes+=(regression)
{ [ -n "$runs" ] || [ -n "$seconds" ]; } && modes+=(fuzz)
[ ${#modes[@]} -gt 0 ] || { echo "fuzz.sh: give --regression, --runs or --seconds" >&2; exit 2; }
for mode in "${modes[@]}"; do
    running=0
    for target in "${chosen[@]}"; do
        run_target "$target" "$mode" &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
    done
    wait || true
    for target in "${chosen[@]}"; do
        log="$state/logs/$target.$mode.log"
        read -r code elapsed <"$log.exit"
        executed="$(stat number_of_executed_units "$log")"
        inputs="$(grep -oE "seed corpus: files: [0-9]+" "$log" | grep -oE "[0-9]+$" | head -n 1)"
        if [ "$mode" = regression ]; then
            executed="${inputs:-0}"
        fi
        rate="$(awk -v n="${executed:-0}" -v s="$elapsed" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')"
        [ "$mode" = regression ] && rate="-"
        crashed=0
        if [ "$code" -ne 0 ]; then
            crashed=1
            failures=$((failures + 1))
            echo "fuzz.sh: $target ($mode) exited $code; the input and the broken property:" >&2
            grep -E "FUZZ PROPERTY VIOLATED|ERROR: |SUMMARY|Test unit written" "$log" >&2 || tail -n 20 "$log" >&2
        fi
        rows+=("| $target | $mode | ${executed:-0} | $rate | $elapsed | ${inputs:-0} | $(stat new_units_added "$log" || true) | $(stat peak_rss_mb "$log" || true) | $crashed |")
    done
done

if [ "$merge" = 1 ]; then
    for target in "${chosen[@]}"; do
        echo "== merging new inputs of $target into Fuzz/corpus/$target"
        "$(binary "$target")" -merge=1 -max_len=4096 "Fuzz/corpus/$target" "$state/corpus/$target" >"$state/logs/$target.merge.log" 2>&1 \
            || { echo "fuzz.sh: merge of $target failed" >&2; failures=$((failures + 1)); }
        grep -E "MERGE-OUTER: [0-9]+ new files" "$state/logs/$target.merge.log" || true
    done
fi

{
    echo
    echo "## Fuzzing"
    echo
    echo "| target | mode | executions | exec/s | seconds | corpus inputs | new inputs | peak RSS MB | crashed |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "crashes (property violations included): $failures$([ "$failures" -gt 0 ] && echo " — inputs in .local/fuzz/crashes/, logs in .local/fuzz/logs/")"
} | tee "$report"
total=0
for row in "${rows[@]}"; do total=$((total + $(awk -F'|' '{ print $4 }' <<<"$row"))); done
echo "fuzzing: $total executions over ${#chosen[@]} targets (${modes[*]}), $failures crashes" >"$state/summary"
[ "$failures" -eq 0 ]
