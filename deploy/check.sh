#!/usr/bin/env bash
# Checks the deployment files without a container engine or a running systemd:
#   ldd      the Dockerfile's runtime packages provide every library the mpshook binary loads
#            (each library mapped to its Debian package with dpkg -S)
#   compose  deploy/compose.yaml against the compose-spec JSON schema; the env keys of its mpshook
#            services (env files included) and the Dockerfile's ENV are keys the binary knows
#            (`mpshook config keys`) and each service's environment passes `mpshook config check
#            --strict`; every file it mounts exists; nginx -t of deploy/nginx/mpshook.conf with the
#            trial's includes; Prometheus's scrape config passes promtool check config
#   systemd  deploy/systemd/mpshook.service with systemd-analyze verify, its exposure score with
#            systemd-analyze security (offline) at most 2.0, its Environment= keys known
# Installs what it needs (Debian packages; a virtualenv with jsonschema and PyYAML from PyPI; the
# schema from the docker-compose 1.29.2 wheel on PyPI, pinned by hash) and FAILS when it cannot.
#
# Usage: deploy/check.sh [--only ldd|compose|systemd] [--binary PATH] [--dockerfile PATH]
#                        [--compose PATH] [--unit PATH]
# The binary defaults to .build/debug/mpshook (the test command's build); ldd of the release
# binary lists the same system libraries (the debug one also loads the Swift runtime, which the
# Dockerfile links statically).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.local/deploy-check"
mkdir -p "$state"

# Debian packages: systemd-analyze, readelf, promtool, nginx (only for nginx -t), openssl.
needed=(systemd binutils prometheus nginx openssl)
missing=()
for package in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "check.sh: installing ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
        && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "check.sh: FAILED: cannot install ${missing[*]}" >&2; exit 1; }
fi

# The Python side, pinned: a new release may validate differently, which is a change of its own.
venv="$state/venv"
if ! "$venv/bin/python" -c 'import jsonschema, yaml; assert jsonschema.__version__ == "4.26.0"' 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "jsonschema==4.26.0" "PyYAML==6.0.3" >&2 \
        || { echo "check.sh: FAILED: cannot install jsonschema and PyYAML from PyPI" >&2; exit 1; }
fi

# The compose-spec schema as docker-compose 1.29.2 ships it (compose/config/compose_spec.json,
# Apache-2.0, from github.com/compose-spec/compose-spec), from PyPI, the wheel pinned by its hash.
schema="$state/compose_spec.json"
if [ ! -s "$schema" ]; then
    wheels="$(mktemp -d)"
    trap 'rm -rf "$wheels"' EXIT
    echo "docker-compose==1.29.2 --hash=sha256:8d5589373b35c8d3b1c8c1182c6e4a4ff14bffa3dd0b605fcd08f73c94cef809" >"$wheels/requirements.txt"
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --require-hashes \
        -r "$wheels/requirements.txt" -d "$wheels" >&2 \
        || { echo "check.sh: FAILED: cannot download the docker-compose 1.29.2 wheel (for its compose-spec schema) from PyPI" >&2; exit 1; }
    "$venv/bin/python" - "$wheels"/docker_compose-1.29.2-py2.py3-none-any.whl "$schema" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    data = wheel.read("compose/config/compose_spec.json")
with open(sys.argv[2], "wb") as out:
    out.write(data)
EOF
fi

exec "$venv/bin/python" "$root/deploy/check.py" --root "$root" --schema "$schema" "$@"
