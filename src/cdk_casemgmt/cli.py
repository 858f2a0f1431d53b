"""The ``cdk-casemgmt`` command. Each subcommand lives with its feature (``cost`` in cdk_casemgmt.cost)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from cdk_casemgmt.cost import cli as cost_cli

    parser = argparse.ArgumentParser(prog="cdk-casemgmt", description="cdk-casemgmt tools")
    subparsers = parser.add_subparsers(dest="command", required=True)
    cost_cli.add_parser(subparsers)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
