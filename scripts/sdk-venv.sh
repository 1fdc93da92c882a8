#!/usr/bin/env bash
# Prints the path of a Python with the packages the tests check our wire formats against,
# creating a virtualenv in the work tree (.local/sdk-venv, gitignored) on first use:
# - the official Tencent Cloud MPS SDK (SDKConformanceTests),
# - `standardwebhooks`, the Standard Webhooks reference verifier (WebhookDeliveryTests).
# A package missing from an existing venv is installed into it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.local/sdk-venv"
python="$venv/bin/python"
if ! "$python" -c "import sys" >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
fi
install() {
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
}
if ! "$python" -c "import tencentcloud.mps.v20190612.models" >/dev/null 2>&1; then
    install tencentcloud-sdk-python-mps tencentcloud-sdk-python-common
fi
if ! "$python" -c "import standardwebhooks" >/dev/null 2>&1; then
    install standardwebhooks
fi
echo "$python"
