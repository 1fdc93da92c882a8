#!/usr/bin/env bash
# Prints the path of the schemathesis command, installing it from PyPI into a virtualenv in the
# work tree (.local/schemathesis-venv, gitignored) on first use. The version is pinned: a new
# release may add checks, which belongs in a change of its own.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.local/schemathesis-venv"
version="4.32.5"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
fi
echo "$venv/bin/schemathesis"
