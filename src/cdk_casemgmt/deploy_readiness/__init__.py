"""DeployReadinessChecks: cdk-nag rules for what AWS rejects at deploy or silently breaks at run time.

One module per topic (``alarms``, ``waf``, ``retention``, ``rds``, ``ecs``); ``pack`` assembles them.
See docs/deploy-readiness.md.
"""

from cdk_casemgmt.deploy_readiness.pack import RULES, DeployReadinessChecks

__all__ = ["RULES", "DeployReadinessChecks"]
