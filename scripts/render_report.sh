#!/usr/bin/env bash
# Render a campaign report in headless Chromium and save a full-page screenshot, to look
# at it as an engineer receiving it would (Debian: apt-get install chromium).
# Usage: scripts/render_report.sh WORKSPACE/NAME/report/report.html [OUT.png]
set -euo pipefail
report="$1"
out="${2:-${report%.html}.png}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
    echo "render_report: no Chromium found (apt-get install chromium)" >&2
    exit 2
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,4400 \
    --screenshot="$out" "file://$(realpath "$report")" 2>/dev/null
echo "wrote $out"
