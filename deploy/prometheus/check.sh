#!/usr/bin/env bash
# Checks the monitoring files:
#   promtool check rules deploy/prometheus/alerts.yml       (syntax, PromQL, templates)
#   promtool test rules  deploy/prometheus/alerts_test.yml  (each scenario fires, or not, when it should)
#   deploy/grafana/mpshook.json is valid JSON with panels and queries
# promtool comes from Debian's `prometheus` package, installed here when missing; this FAILS when
# it cannot be installed. That every metric name both files use is in a real /metrics scrape is
# checked by the integration test MetricsEndToEndTests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

if ! command -v promtool >/dev/null; then
    echo "check.sh: installing prometheus (for promtool)" >&2
    scripts/install-deps.sh prometheus >&2 || { echo "check.sh: FAILED: cannot install Debian's prometheus package (promtool)" >&2; exit 1; }
    command -v promtool >/dev/null || { echo "check.sh: FAILED: promtool is still missing" >&2; exit 1; }
fi

promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts_test.yml)

python3 - deploy/grafana/mpshook.json <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    dashboard = json.load(f)
panels = [p for p in dashboard.get("panels", []) if p.get("type") != "row"]
queries = [t.get("expr", "") for p in panels for t in p.get("targets", [])]
assert panels and all(queries), f"{path}: panels without queries"
ids = [p["id"] for p in dashboard["panels"]]
assert len(ids) == len(set(ids)), f"{path}: duplicate panel ids"
print(f"{path}: {len(panels)} panels, {len(queries)} queries")
PY
echo "monitoring files: OK"
