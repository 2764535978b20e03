#!/usr/bin/env bash
# Screenshot an HTML report in headless Chromium, for the README.
# Usage: scripts/screenshot-report.sh [REPORT.html] [OUT.png]
#   defaults: demo/report.html (written by `make demo`) and docs/report-screenshot.png
set -euo pipefail
cd "$(dirname "$0")/.."
report="$(realpath "${1:-demo/report.html}")"
out="${2:-docs/report-screenshot.png}"
[ -f "$report" ] || { echo "no report at $report; run \`make demo\` first" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
  --hide-scrollbars --virtual-time-budget=5000 --window-size=1366,1800 \
  --screenshot="$work/shot.png" "file://$report" >/dev/null 2>&1
mv "$work/shot.png" "$out"
echo "wrote $out"
