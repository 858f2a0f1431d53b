"""CostEstimate: an honest monthly price for what a stack deploys, computed at synth time, offline.

- ``pricer`` prices any CloudFormation template (a dict) or cloud assembly;
  ``templates`` reads template files and cloud assemblies.
- ``engine`` runs each resource through its rule: the rules by service are in
  ``rules``, the types AWS does not bill in ``no_charge``,
  and what a rule sees of a template in ``context``.
- ``prices`` loads the shipped per-region price files.
- ``usage`` holds the usage profiles (``fixed``, ``low``, ``typical``, ``high``).
- ``model`` is the estimate as data, with its table and Markdown renderings.
- ``CostEstimate`` is the construct; ``cdk-casemgmt cost`` is the CLI.

Only the construct imports aws-cdk-lib: everything else is pure Python.
"""

from cdk_casemgmt.cost.model import Component, Estimate, LineItem, NoCharge, StackEstimate, Unpriced
from cdk_casemgmt.cost.pricer import estimate_assembly, estimate_template
from cdk_casemgmt.cost.prices import Price, PriceBook, available_regions, load_price_file, load_prices
from cdk_casemgmt.cost.templates import load_template
from cdk_casemgmt.cost.usage import PROFILES, UsageProfile

__all__ = [
    "PROFILES",
    "Component",
    "CostEstimate",
    "Estimate",
    "LineItem",
    "NoCharge",
    "Price",
    "PriceBook",
    "StackEstimate",
    "Unpriced",
    "UsageProfile",
    "available_regions",
    "estimate_assembly",
    "estimate_template",
    "load_price_file",
    "load_prices",
    "load_template",
]


def __getattr__(name: str) -> object:
    # The construct imports aws-cdk-lib (slow to load); the pricer and CLI do not need it.
    if name == "CostEstimate":
        from cdk_casemgmt.cost.construct import CostEstimate

        return CostEstimate
    raise AttributeError(name)
