# Shell functions the benchmark scripts share (sourced by each of them, after
# `set -euo pipefail`): the repository root as working directory, release builds, a throwaway
# PostgreSQL, random keys, the environment of a served mpshook and waiting for a process to
# answer. Messages start with $bench_name.

bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$bench_root"
bench_name="${bench_name:-bench}"

# Builds the release products named and sets $bin to where they are; stops the script if one is missing.
release_build() {  # $@ products
    local product
    for product in "$@"; do
        swift build -c release --product "$product" 2>&1 | grep -E "error|complete!" || true
    done
    bin="$(swift build -c release --show-bin-path)"
    for product in "$@"; do
        [ -x "$bin/$product" ] || { echo "$bench_name: the build of $product failed" >&2; exit 1; }
    done
}

# Starts a fresh PostgreSQL cluster (any old one of that name is removed) with one empty
# database, and sets $database_url to it. (Called directly, not in $(...), so that a failure
# stops the script under `set -e`.)
throwaway_postgres() {  # $1 cluster name, $2 port, $3 database
    drop_postgres "$1" "$2"
    local server
    server="$(scripts/pg.sh start "$1" "$2")"
    psql "$server" -qc "CREATE DATABASE $3"
    database_url="postgresql://postgres@127.0.0.1:$2/$3"
}

# Stops the cluster and removes its files.
drop_postgres() {  # $1 cluster name, $2 port
    scripts/pg.sh reset "$1" "$2" >/dev/null 2>&1 || true
}

# $1 random bytes, base64url without padding (keys and secret ids that are never reused).
random_key() {
    head -c "$1" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

# Exports what `mpshook serve` needs to run against $database_url and the emulator on
# EMULATOR_PORT, on HTTP_PORT: fresh callback keys and MPS credentials, logs at warning.
export_serve_environment() {  # $1 name (keys and secret id prefix), $2 HTTP port, $3 emulator port
    export MPSHOOK_DATABASE_URL="$database_url"
    export MPSHOOK_HTTP_PORT="$2" MPSHOOK_PUBLIC_BASE_URL="http://127.0.0.1:$2"
    export MPSHOOK_MPS_ENDPOINT="http://127.0.0.1:$3"
    export MPSHOOK_CALLBACK_KEYS="$1:$(random_key 32)"
    export MPSHOOK_NOTIFY_KEY="$1-bench-notify-key"
    export TENCENTCLOUD_SECRET_ID="$1-$(random_key 12)"
    export TENCENTCLOUD_SECRET_KEY="$(random_key 24)"
    export LOG_LEVEL=warning
}

# Waits (up to 10 s) until `curl -f URL` succeeds; stops the script with the end of LOG when it
# does not, or as soon as PID (the process that should answer) has exited.
wait_for_url() {  # $1 URL, [$2 PID], [$3 LOG]
    local pid="${2:-}" log="${3:-}"
    for _ in $(seq 1 200); do
        curl -fsS "$1" >/dev/null 2>&1 && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "$bench_name: the process that should answer $1 exited" >&2
            [ -z "$log" ] || tail -n 20 "$log" >&2
            exit 1
        fi
        sleep 0.05
    done
    echo "$bench_name: $1 does not answer" >&2
    [ -z "$log" ] || tail -n 20 "$log" >&2
    exit 1
}
