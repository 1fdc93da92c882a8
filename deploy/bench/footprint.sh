#!/usr/bin/env bash
# Start-up time and idle memory (make bench-footprint): how long `mpshook serve` (release build,
# every part on: door, applier, dispatcher, reconciler, API) takes from exec to its first 200 on
# /readyz, and its resident memory once idle.
# Baselines in the same run: the time to its first 200 on /healthz (the process is up and
# listening; /readyz adds the database checks), and the idle resident memory of mps-emulator,
# a server on the same stack (Swift runtime, NIO, Hummingbird) that serves nothing here.
# Targets: ready in < 1 s; RSS < 60 MB idle.
# Settings (environment): BENCH_STARTS (7), BENCH_IDLE_SECONDS (30).
set -euo pipefail
bench_name=footprint
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_port="${BENCH_FOOTPRINT_PG_PORT:-55452}"
http_port="${BENCH_FOOTPRINT_HTTP_PORT:-18082}"
emulator_port="${BENCH_FOOTPRINT_EMULATOR_PORT:-19302}"
starts="${BENCH_STARTS:-7}"
idle_seconds="${BENCH_IDLE_SECONDS:-30}"
state="$bench_root/.local/bench"
mkdir -p "$state"
log="$state/footprint-serve.log"
emulator_log="$state/footprint-emulator.log"
report="$state/footprint.md"
: >"$log"
: >"$emulator_log"

echo "== release build (mpshook, mps-emulator)"
release_build mpshook mps-emulator

emulator_pid=""
cleanup() {
    [ -z "$emulator_pid" ] || { kill -TERM "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; }
    drop_postgres benchfoot "$pg_port"
}
trap cleanup EXIT INT TERM

echo "== throwaway PostgreSQL on 127.0.0.1:$pg_port"
throwaway_postgres benchfoot "$pg_port" footprint
export_serve_environment foot "$http_port" "$emulator_port"
"$bin/mpshook" migrate >>"$log" 2>&1

"$bin/mps-emulator" --port "$emulator_port" >>"$emulator_log" 2>&1 &
emulator_pid=$!
wait_for_url "http://127.0.0.1:$emulator_port/_emulator/calls" "$emulator_pid" "$emulator_log"

echo "== $starts starts of mpshook serve, then ${idle_seconds} s idle"
python3 - "$bin/mpshook" "$http_port" "$starts" "$idle_seconds" "$emulator_pid" "$log" "$report" <<'PY'
import http.client, os, signal, statistics, subprocess, sys, time

binary, port, starts, idle, emulator_pid, log_path, report_path = sys.argv[1:8]
port, starts, idle = int(port), int(starts), float(idle)

def answers(path):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status == 200
    except OSError:
        return False

def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024  # kB -> MiB
    return fields

log = open(log_path, "a")
healthy, ready = [], []
for run in range(starts):
    began = time.monotonic()
    child = subprocess.Popen([binary, "serve"], stdout=log, stderr=log)
    up = None
    while True:
        if child.poll() is not None:
            sys.exit(f"footprint: mpshook serve exited with {child.returncode}; see {log_path}")
        now = time.monotonic() - began
        if now > 30:
            child.kill()
            sys.exit(f"footprint: mpshook serve not ready within 30 s; see {log_path}")
        if up is None and answers("/healthz"):
            up = time.monotonic() - began
        if up is not None and answers("/readyz"):
            ready.append(time.monotonic() - began)
            healthy.append(up)
            break
        time.sleep(0.002)
    if run < starts - 1:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)

# The last one stays up, idle, then its memory and the emulator's are read.
time.sleep(idle)
served = memory(child.pid)
baseline = memory(int(emulator_pid))
child.send_signal(signal.SIGTERM)
child.wait(timeout=30)

def ms(values):
    return f"{statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"

ratio_time = statistics.median(r / h for r, h in zip(ready, healthy))
ratio_rss = served["VmRSS"] / baseline["VmRSS"]
lines = [
    f"# Start-up and idle memory ({starts} starts, {idle:.0f} s idle; 2 shared cores)",
    "",
    f"- exec -> first 200 on /readyz: median {ms(ready)}   target: < 1 s",
    f"- baseline: exec -> first 200 on /healthz: median {ms(healthy)}",
    f"- ratio readyz/healthz (median of the per-start ratios): {ratio_time:.2f}",
    f"- mpshook serve idle: RSS {served['VmRSS']:.1f} MiB (peak {served['VmHWM']:.1f} MiB)   target: < 60 MB",
    f"- baseline: mps-emulator idle: RSS {baseline['VmRSS']:.1f} MiB (peak {baseline['VmHWM']:.1f} MiB)",
    f"- ratio mpshook/emulator RSS: {ratio_rss:.2f}",
]
open(report_path, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
if max(ready) >= 1 or served["VmRSS"] * 1.048576 >= 60:
    print("footprint: a target is missed (see above)")
PY
echo "report: $report"
