"""Time to price a cloud assembly: SecureFargateApi + PostgresDatabase + CdnFrontend (the reference
deployment until examples/reference-api ships its own app) and the quickstart app.

Synthesizes each app once into a temporary directory, then prices the assembly N times with
``estimate_assembly`` (the code the CLI and the synth-time report run). Goal: under 1 s.
Usage: ``python benchmarks/cost.py [--runs N]`` (JSII_NODE set, as ``make`` does).
"""

from __future__ import annotations

import argparse
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
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
