"""Whole-process synth time of the quickstart app with the four compliance packs, and of
SecureFargateApi + PostgresDatabase next to aws-cdk-lib's ALB Fargate pattern + DatabaseInstance.

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
    compare_fargate(args.runs)


def compare_fargate(runs: int) -> None:
    """SecureFargateApi + PostgresDatabase vs ApplicationLoadBalancedFargateService + DatabaseInstance,
    interleaved in the same run so that machine load affects both alike (benchmarks/fargate_apps.py)."""
    script = str(ROOT / "benchmarks" / "fargate_apps.py")
    variants = {
        "SecureFargateApi + PostgresDatabase": ["ours"],
        "SecureFargateApi + PostgresDatabase, 4 packs": ["ours", "--packs"],
        "ApplicationLoadBalancedFargateService + DatabaseInstance": ["patterns"],
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, argv in variants.items():
            results[name] += time_command([sys.executable, script, *argv], ROOT, 1)
    for name, times in results.items():
        print(f"{name}: best {min(times):.2f} s, median {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
