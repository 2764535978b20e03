#!/usr/bin/env bash
# Render a report of four sample runs (heroku, vps, docker, kubernetes; built by
# tests/reports/runbuilder.py) and screenshot it in headless Chromium for the README.
# Usage: scripts/screenshot-report.sh [OUT.png]   (default docs/report-screenshot.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/report-screenshot.png}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
PY="${PYTHON:-.venv/bin/python}"
"$PY" - "$work" <<'PYEOF'
import sys
from pathlib import Path

from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import Advised, compare
from deploy_advisor.reports.html import render_html
from deploy_advisor.reports.runs import load_runs
from tests.reports.conftest import FOUR, SPEC, PriceList
from tests.reports.runbuilder import write_run

work = Path(sys.argv[1])
dirs = [write_run(work / "runs", spec) for spec in FOUR]
comparison = compare(
    runs=load_runs(dirs), catalog=PriceList(), spec=SPEC,
    advised=Advised("heroku", "realtime"), rps_per_vcpu=40,
)
(work / "report.html").write_text(render_html(Report(comparison)), encoding="utf-8")
PYEOF
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
  --hide-scrollbars --virtual-time-budget=5000 --window-size=1366,1800 \
  --screenshot="$work/shot.png" "file://$work/report.html" >/dev/null 2>&1
mv "$work/shot.png" "$out"
echo "wrote $out"
