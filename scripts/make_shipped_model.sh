#!/usr/bin/env bash
# Remake the demo's SISSO equations of the shipped dataset and their validation, shipped
# beside it so that `electroforge demo` need not refit them:
# src/electroforge/data/line_174.model.json (the reference's four properties, 75 random
# 80/20 re-splits) and line_174.rate.model.json (capacity and energy at rate, the C-rate
# an input, 20 re-splits), each with its .validation.json.
# Run it after scripts/make_shipped_dataset.sh or any change of the SISSO fit; ~6 min.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
"$repo/.venv/bin/python" - "$repo/src/electroforge/data" <<'PY'
import sys
from pathlib import Path

from electroforge.cli.demo import (RATE_MODEL, SHIPPED_DATASET, SHIPPED_MODEL, demo_space,
                                   fit_demo_model, fit_rate_model)
from electroforge.threads import single_threaded

data = Path(sys.argv[1])
with single_threaded():
    fit_demo_model(data / SHIPPED_DATASET, data / SHIPPED_MODEL, demo_space())
    fit_rate_model(data / SHIPPED_DATASET, data / RATE_MODEL)
PY
