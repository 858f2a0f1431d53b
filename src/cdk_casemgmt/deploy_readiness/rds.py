"""Databases that RDS refuses to create, and proxies their clients cannot reach."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from cdk_nag import NagRuleCompliance

from cdk_casemgmt.deploy_readiness._iam import grants
from cdk_casemgmt.deploy_readiness._rule import rule
from cdk_casemgmt.deploy_readiness._template import (
    Resource,
    TemplateView,
    as_list,
    dig,
    get_att,
    matches_action,
    statements,
    target_id,
)

_DATABASES = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")


@rule(
    "RDSMonitoringRoleAtCreate",
    types=_DATABASES,
    info="The database's enhanced-monitoring role has no permission attached when RDS creates the database.",
    explanation="RDS checks the MonitoringRoleArn role when it creates the instance or cluster. A role "
    "whose only policy is a separate resource that CloudFormation attaches after the database exists "
    "(for example one that names the instance's own DbiResourceId, which cannot exist earlier) has no "
    "permission at that moment, and the create fails. Fix: attach the AWS managed policy "
    "service-role/AmazonRDSEnhancedMonitoringRole to the role itself (ManagedPolicyArns), or a policy that "
    "does not depend on the database and that the database depends on.",
    documentation="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html",
)
def rds_monitoring_role_at_create(database: Resource) -> NagRuleCompliance:
    """An enhanced-monitoring role whose permissions arrive after the database is created."""
    role_arn = database.get("MonitoringRoleArn")
    if role_arn is None:
        return NagRuleCompliance.NOT_APPLICABLE
    view = database.template
    role = view.target(role_arn, "AWS::IAM::Role")
    if role is None:
        return NagRuleCompliance.COMPLIANT  # an existing role: its permissions are already there
    for grant in grants(role):
        if grant.resource is None or view.depends_on(database.logical_id, grant.resource.logical_id):
            return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


ENGINE_PORTS: Mapping[str, int] = {"POSTGRESQL": 5432, "MYSQL": 3306, "SQLSERVER": 1433}
"""The port an RDS Proxy listens on, per engine family: the engine's default, which cannot be changed
(AWS::RDS::DBProxy has no port property)."""

_PORT_NAME = re.compile(r"(^|_)PORT$", re.IGNORECASE)
_URL_PORT = re.compile(r"^:(\d+)(/|$)")
_ALL_TRAFFIC = ("-1", -1, "all")


def _proxy_of_endpoint(value: Any, view: TemplateView) -> Resource | None:
    """The proxy whose endpoint ``value`` is (``Fn::GetAtt [Proxy or ProxyEndpoint, Endpoint]``)."""
    att = get_att(value)
    if att is None or att[1] != "Endpoint":
        return None
    resource = view.resources.get(att[0])
    if resource is not None and resource.type == "AWS::RDS::DBProxyEndpoint":
        resource = view.target(resource.get("DBProxyName"), "AWS::RDS::DBProxy")
    return resource if resource is not None and resource.type == "AWS::RDS::DBProxy" else None


def _environments(client: Resource) -> Iterator[dict[str, Any]]:
    """Each environment of an ECS task definition's containers, or of a Lambda function."""
    if client.type == "AWS::ECS::TaskDefinition":
        for container in as_list(client.get("ContainerDefinitions")):
            yield {
                str(e.get("Name")): e.get("Value")
                for e in as_list(dig(container, "Environment"))
                if isinstance(e, Mapping)
            }
    else:
        variables = client.get("Environment", "Variables")
        if isinstance(variables, Mapping):
            yield dict(variables)


def _proxies_in(value: Any, view: TemplateView) -> Iterator[tuple[Resource, Any]]:
    """``(proxy, the value that holds its endpoint)`` for each proxy endpoint inside ``value``."""
    proxy = _proxy_of_endpoint(value, view)
    if proxy is not None:
        yield proxy, value
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from _proxies_in(inner, view)
    elif isinstance(value, list):
        for inner in value:
            yield from _proxies_in(inner, view)


def _joined_ports(value: Any, view: TemplateView) -> Iterator[tuple[Resource, int]]:
    """Ports written right after a proxy endpoint in an ``Fn::Join`` (a URL such as host:5433/db)."""
    if isinstance(value, Mapping):
        join = value.get("Fn::Join")
        if isinstance(join, list) and len(join) == 2 and join[0] == "" and isinstance(join[1], list):
            parts = join[1]
            for part, following in itertools.pairwise(parts):
                proxy = _proxy_of_endpoint(part, view)
                match = _URL_PORT.match(following) if isinstance(following, str) else None
                if proxy is not None and match:
                    yield proxy, int(match.group(1))
        for inner in value.values():
            yield from _joined_ports(inner, view)
    elif isinstance(value, list):
        for inner in value:
            yield from _joined_ports(inner, view)


def _client_ports_wrong(client: Resource) -> bool | None:
    """Whether a client configured for a proxy names another port (None: it uses no proxy)."""
    view = client.template
    uses_proxy = False
    for environment in _environments(client):
        proxies = [p for value in environment.values() for p, _ in _proxies_in(value, view)]
        if not proxies:
            continue
        uses_proxy = True
        port = _engine_port(proxies[0])
        for name, value in environment.items():
            if _PORT_NAME.search(name) and str(value).isdigit() and int(value) != port:
                return True
        if any(p != _engine_port(proxy) for proxy, p in _joined_ports(environment, view)):
            return True
    return False if uses_proxy else None


def _engine_port(proxy: Resource) -> int | None:
    family = proxy.get("EngineFamily")
    return ENGINE_PORTS.get(family) if isinstance(family, str) else None


def _group_ports(view: TemplateView) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """Per security group: the ports of the proxies in it, and every database port served in it."""
    proxy_ports: dict[str, set[int]] = {}
    served: dict[str, set[int]] = {}
    for proxy in view.of_type("AWS::RDS::DBProxy"):
        port = _engine_port(proxy)
        for group in as_list(proxy.get("VpcSecurityGroupIds")):
            logical_id = target_id(group)
            if logical_id is not None and port is not None:
                proxy_ports.setdefault(logical_id, set()).add(port)
                served.setdefault(logical_id, set()).add(port)
    for database in view.of_type(*_DATABASES):
        port = database.get("Port")
        groups = [*as_list(database.get("VPCSecurityGroups")), *as_list(database.get("VpcSecurityGroupIds"))]
        for group in groups:
            logical_id = target_id(group)
            if logical_id is not None and str(port).isdigit():
                served.setdefault(logical_id, set()).add(int(str(port)))
    return proxy_ports, served


def _covers(permission: Any, ports: set[int]) -> bool:
    if dig(permission, "IpProtocol") in _ALL_TRAFFIC:
        return True
    low, high = dig(permission, "FromPort"), dig(permission, "ToPort")
    if not (str(low).lstrip("-").isdigit() and str(high).lstrip("-").isdigit()):
        return True  # a port the rule cannot read: not flagged
    return any(int(low) <= port <= int(high) for port in ports)


def _rules_towards_proxies(resource: Resource) -> Iterator[tuple[Any, str]]:
    """``(permission, security group)`` for each rule of ``resource`` that lets traffic into a group."""
    if resource.type == "AWS::EC2::SecurityGroupIngress":
        yield resource.properties, str(target_id(resource.get("GroupId")))
    elif resource.type == "AWS::EC2::SecurityGroupEgress":
        yield resource.properties, str(target_id(resource.get("DestinationSecurityGroupId")))
    elif resource.type == "AWS::EC2::SecurityGroup":
        for ingress in as_list(resource.get("SecurityGroupIngress")):
            yield ingress, resource.logical_id
        for egress in as_list(resource.get("SecurityGroupEgress")):
            yield egress, str(target_id(dig(egress, "DestinationSecurityGroupId")))


_CLIENTS = ("AWS::ECS::TaskDefinition", "AWS::Lambda::Function")
_GROUP_RULES = ("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")


@rule(
    "RDSProxyPort",
    types=(*_GROUP_RULES, *_CLIENTS),
    info="An RDS Proxy is reached on a port other than the one it listens on: a security group rule into "
    "the proxy's group, or a client's configuration (a *PORT variable or a URL next to the proxy "
    "endpoint), names another port.",
    explanation="An RDS Proxy listens on its engine's default port (5432 for PostgreSQL, 3306 for MySQL, "
    "1433 for SQL Server), whatever port the database behind it uses; the port cannot be changed. A "
    "client told to use the database's custom port, or a security group that opens only that port, "
    "cannot connect. The rule reads ECS task definitions and Lambda functions whose environment holds "
    "the proxy's endpoint; it cannot see a port the application computes itself. Fix: take the port "
    "from the proxy (e.g. 5432 for PostgreSQL) in both the client configuration and the security "
    "group rules.",
    documentation="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html",
)
def rds_proxy_port(resource: Resource) -> NagRuleCompliance:
    """A proxy reached on the database's port instead of its own."""
    if resource.type in _CLIENTS:
        wrong = _client_ports_wrong(resource)
        if wrong is None:
            return NagRuleCompliance.NOT_APPLICABLE
        return NagRuleCompliance.NON_COMPLIANT if wrong else NagRuleCompliance.COMPLIANT
    proxy_ports, served = _group_ports(resource.template)
    checked = False
    for permission, group in _rules_towards_proxies(resource):
        if group not in proxy_ports:
            continue
        checked = True
        if not _covers(permission, served[group]):
            return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT if checked else NagRuleCompliance.NOT_APPLICABLE


def _client_role(client: Resource) -> Resource | None:
    arn = client.get("TaskRoleArn") if client.type == "AWS::ECS::TaskDefinition" else client.get("Role")
    return client.template.target(arn, "AWS::IAM::Role")


def _may_connect(role: Resource) -> bool:
    for grant in grants(role):
        if grant.document is None:
            return True  # a policy outside the template: it may grant rds-db:connect
        for statement in statements(grant.document):
            if statement.get("Effect") == "Allow" and matches_action(
                statement.get("Action"), "rds-db:connect"
            ):
                return True
    return False


@rule(
    "RDSProxyIAMAuth",
    types=_CLIENTS,
    info="A client of an RDS Proxy that requires IAM authentication has no rds-db:connect permission, so it "
    "can only be using a password, which the proxy refuses.",
    explanation="With IAMAuth REQUIRED an RDS Proxy accepts only IAM authentication tokens, which the "
    "client generates and which work only if its role may rds-db:connect to the proxy. A client "
    "configured with the database password (for example from the database secret) is refused. The rule "
    "checks ECS task definitions (task role) and Lambda functions whose environment holds the proxy's "
    "endpoint; it cannot see how the application authenticates, so a client that has the permission "
    "but still sends a password is not detected. Fix: grant the client rds-db:connect on the proxy "
    "(DatabaseProxy.grant_connect) and have it connect with an IAM token; or set IAMAuth to DISABLED.",
    documentation="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html",
)
def rds_proxy_iam_auth(client: Resource) -> NagRuleCompliance:
    """A client of an IAM-only proxy that cannot make IAM tokens."""
    proxies = [
        p
        for env in _environments(client)
        for value in env.values()
        for p, _ in _proxies_in(value, client.template)
    ]
    iam_only = [p for p in proxies if any(dig(a, "IAMAuth") == "REQUIRED" for a in as_list(p.get("Auth")))]
    if not iam_only:
        return NagRuleCompliance.NOT_APPLICABLE
    role = _client_role(client)
    if role is None or _may_connect(role):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


RULES = (rds_monitoring_role_at_create, rds_proxy_port, rds_proxy_iam_auth)
