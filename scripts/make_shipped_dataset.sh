#!/usr/bin/env bash
# Remake the virtual-line dataset shipped with the package for `electroforge demo`
# (src/electroforge/data/line_174.parquet): the demo's design (C-rate free: every condition
# its own rate) through the line at its default box, seed 0. Run it after any change of the
# line's physics (LINE_VERSION); ~30 min on 2 cores.
# Usage: scripts/make_shipped_dataset.sh [WORKDIR]   (finished recipes are cached there)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cd "$work"
design="electroforge doe slurry-major --n 174 --slurries 6 --seed 0 --out design.csv"
line="electroforge line run design.csv --out props.parquet --workers 2"
$design
ELECTROFORGE_CACHE="$work/cache" $line
python - "$repo/src/electroforge/data/line_174.parquet" "$design && $line  (default box, seed 0)" <<'EOF'
import sys

from electroforge.datasets import read_dataset, write_dataset
from electroforge.line import LINE_VERSION

target, command = sys.argv[1:]
props = read_dataset("props.parquet")
failed = props[props["error"] != ""]
if len(failed):
    sys.exit(f"make_shipped_dataset: {len(failed)} recipes failed, nothing written:\n{failed}")
metadata = dict(props.attrs.get("metadata", {}), command=command,
                made_by=f"the virtual line (electroforge.line, LINE_VERSION {LINE_VERSION}), "
                        "for electroforge demo")
write_dataset(props, target, metadata=metadata)
print(f"wrote {target}")
EOF
