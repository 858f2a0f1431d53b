"""What the API's roles may do beyond CDK's own grants, and the findings of the grants that only work
with ``Resource: '*'``."""

from __future__ import annotations

from aws_cdk import Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ses as ses

from cdk_casemgmt._iam import ManagedPolicyRole
from cdk_casemgmt.compliance import acknowledge


def grant_send_email(task_role: iam.IRole, identity: ses.IEmailIdentity | str) -> None:
    """Let the app send e-mail from ``identity`` (an identity or its ARN) only."""
    if isinstance(identity, str):
        task_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[identity])
        )
    else:
        identity.grant_send_email(task_role)


def acknowledge_exec(task_role: ManagedPolicyRole, exec_log_group: logs.LogGroup | None) -> None:
    """The two wildcard resources ECS Exec needs in the task role's policy."""
    policy = task_role.managed_policy
    if policy is None:
        return
    acknowledge(
        policy,
        "AwsSolutions-IAM5[Resource::*]",
        "Opted in with enable_execute_command=True: the ssmmessages:* channel actions of "
        "ECS Exec support only Resource '*'. Sessions are KMS-encrypted and logged.",
    )
    if exec_log_group is not None:
        stack = Stack.of(exec_log_group)
        cfn = exec_log_group.node.default_child
        assert isinstance(cfn, logs.CfnLogGroup)
        logical_id = stack.resolve(stack.get_logical_id(cfn))
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{_nag_arn(stack, 'logs')}:log-group:<{logical_id}>:*]",
            "Opted in with enable_execute_command=True: each exec session writes its own log "
            "stream, named at run time, in this construct's KMS-encrypted exec log group only.",
        )


def acknowledge_image_pull(execution_role: ManagedPolicyRole) -> None:
    """Image pulls from ECR need ecr:GetAuthorizationToken, which has no resource-level permission."""
    if any("ecr:GetAuthorizationToken" in s.actions for s in execution_role.granted):
        policy = execution_role.managed_policy
        assert policy is not None
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Structural: ecr:GetAuthorizationToken supports only Resource '*'; the layer-pull actions in "
            "the same policy are scoped to the image's repository.",
        )


def _nag_arn(stack: Stack, service: str) -> str:
    """The ARN prefix as cdk-nag prints it in a granular finding id (unresolved pseudo parameters
    appear as ``<AWS::Region>`` and so on)."""

    def text(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = text(stack.partition, "Partition")
    return f"arn:{partition}:{service}:{text(stack.region, 'Region')}:{text(stack.account, 'AccountId')}"
