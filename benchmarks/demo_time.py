"""Wall time of ``electroforge demo`` on a fresh workspace (target: <= 5 minutes on 2 cores).

Runs the installed command in a subprocess, as a user would after installing, with the
shipped dataset (no ``--regenerate``), and prints the time of each stage from its output
timestamps and the total against the 300 s target.

Run: .venv/bin/python benchmarks/demo_time.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time

TARGET_S = 300.0


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        stages = []
        process = subprocess.Popen([sys.executable, "-m", "electroforge.cli", "demo",
                                    "--workspace", folder], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            if re.match(r"\[\d+/\d+\]", line):
                stages.append((line.strip()[:60], time.perf_counter() - start))
        code = process.wait()
        total = time.perf_counter() - start
    if code:
        sys.exit(f"electroforge demo failed with status {code}")
    stages.append(("end", total))
    print("electroforge demo, fresh workspace, shipped dataset:")
    for (label, at), (_, following) in zip(stages, stages[1:]):
        print(f"  {following - at:6.1f} s  {label}")
    print(f"  total {total:.1f} s; target {TARGET_S:.0f} s: ratio {total / TARGET_S:.2f}")


if __name__ == "__main__":
    main()
