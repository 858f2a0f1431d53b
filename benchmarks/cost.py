"""Time to price a cloud assembly, and the start-up of the ``cdk-casemgmt`` command.

Assemblies: SecureFargateApi + PostgresDatabase + CdnFrontend (the reference deployment until
examples/reference-api ships its own app) and the quickstart app. Synthesizes each app once into a
temporary directory, then prices the assembly N times with ``estimate_assembly`` (the code the CLI and
the synth-time report run). Goal: under 1 s.

Command: wall time of ``cdk-casemgmt --help`` and of ``cdk-casemgmt cost`` on a template file, each run
N times in a fresh process with ``JSII_NODE=/bin/false`` (the command is pure Python: it must not start
Node). Goal: well under 1 s; for scale, the same interpreter importing aws-cdk-lib is timed too.

Usage: ``python benchmarks/cost.py [--runs N] [--cli-only]`` (JSII_NODE set, as ``make`` does).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aws_cdk import App

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def reference_app(outdir: str) -> App:
    from cdk_casemgmt.cdn_frontend import CdnFrontend
    from cdk_casemgmt.postgres_database import PostgresDatabase
    from cdk_casemgmt.secure_fargate_api import SecureFargateApi
    from cdk_casemgmt.testing import feature_flags, new_test_stack

    app = App(outdir=outdir, context=dict(feature_flags()))
    stack = new_test_stack(app, "CaseMgmt")
    api = SecureFargateApi(stack, "Api", image=str(ROOT / "tests" / "fixtures" / "app"))
    api.connect(PostgresDatabase(stack, "Db", vpc=api.vpc))
    CdnFrontend(stack, "Web", site_dir=ROOT / "tests" / "fixtures" / "site", api=api)
    return app


def quickstart_app(outdir: str) -> App:
    sys.path.insert(0, str(ROOT / "examples" / "quickstart"))
    from app import QuickstartStack

    from cdk_casemgmt.testing import feature_flags, test_env

    app = App(outdir=outdir, context=dict(feature_flags()))
    QuickstartStack(app, "CaseMgmtQuickstart", env=test_env())
    return app


def wall_ms(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Wall time of ``argv`` in a fresh process, ``runs`` times (it must exit 0)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return times


def cli_startup(runs: int) -> None:
    script = str(Path(sys.executable).parent / "cdk-casemgmt")
    template = str(ROOT / "tests" / "fixtures" / "cost" / "hand-written.json")
    no_node = {**os.environ, "JSII_NODE": "/bin/false"}
    cases = (
        ("cdk-casemgmt --help", [script, "--help"], no_node),
        ("cdk-casemgmt cost template.json", [script, "cost", template, "--usage", "fixed"], no_node),
        (
            "python -c 'import aws_cdk' (for scale)",
            [sys.executable, "-c", "import aws_cdk"],
            dict(os.environ),
        ),
    )
    for name, argv, env in cases:
        times = wall_ms(argv, runs, env)
        print(
            f"{name}: median {statistics.median(times):.0f} ms, best {min(times):.0f} ms over {runs} runs"
            + (" (JSII_NODE=/bin/false)" if env is no_node else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cli-only", action="store_true", help="only the command's start-up")
    args = parser.parse_args()
    cli_startup(min(args.runs, 10))
    if args.cli_only:
        return
    from cdk_casemgmt.cost import estimate_assembly

    for name, build in (("reference (API + database + CDN)", reference_app), ("quickstart", quickstart_app)):
        outdir = tempfile.mkdtemp(prefix="cost-bench-")
        start = time.perf_counter()
        build(outdir).synth()
        synth = time.perf_counter() - start
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            estimate = estimate_assembly(outdir, usage="typical")
            times.append(time.perf_counter() - start)
        resources = len(estimate.items) + len(estimate.unpriced) + len(estimate.no_charge)
        print(
            f"{name}: {resources} resources, ${estimate.total_monthly_usd:,.2f}/month (typical); "
            f"pricing the assembly: best {min(times) * 1000:.1f} ms, "
            f"median {statistics.median(times) * 1000:.1f} ms "
            f"over {args.runs} runs (goal < 1000 ms); synth took {synth:.1f} s"
        )


if __name__ == "__main__":
    main()
