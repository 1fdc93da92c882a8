#!/usr/bin/env bash
# Prints the path of a Python with the official Tencent Cloud MPS SDK installed, creating a
# virtualenv in the work tree (.local/sdk-venv, gitignored) on first use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.local/sdk-venv"
python="$venv/bin/python"
if ! "$python" -c "import tencentcloud.mps.v20190612.models" >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        tencentcloud-sdk-python-mps tencentcloud-sdk-python-common >&2
fi
echo "$python"
