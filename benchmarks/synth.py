"""Whole-process synth time of the quickstart app with the four compliance packs.

Prints wall-clock seconds for `python examples/quickstart/app.py` (import, build, synth, packs), best
and median of N runs. Usage: `make bench` or `python benchmarks/synth.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def time_command(cmd: list[str], cwd: Path, runs: int) -> list[float]:
    env = {**os.environ, "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    node = os.environ.get("JSII_NODE", "(system node)")
    print(f"python {sys.version.split()[0]}, JSII_NODE={node}, runs={args.runs}")
    times = time_command([sys.executable, "app.py"], ROOT / "examples" / "quickstart", args.runs)
    print(
        f"quickstart (VPC + PostgresDatabase, 4 packs): best {min(times):.2f} s, "
        f"median {statistics.median(times):.2f} s"
    )


if __name__ == "__main__":
    main()
