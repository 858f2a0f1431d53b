"""A stack change that breaks the app fails the twin, naming what broke (the synthesized task, altered)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from deployment import Deployment
from stack import Container, Stack, TwinError
from task import container_environment


def _environment(twin: Deployment, definition: dict[str, Any], stack: Stack | None = None) -> dict[str, str]:
    resolver = twin.resolver if stack is None else twin.resolver.on(stack)
    return container_environment(
        twin.task, Container(definition), resolver, twin.standins.read_secret, twin.known_variables
    )


def test_a_renamed_variable_fails_the_twin(twin: Deployment) -> None:
    definition = copy.deepcopy(twin.task.app.definition)
    for variable in definition["Environment"]:
        if variable["Name"] == "API_COGNITO_ISSUER":
            variable["Name"] = "API_COGNITO_ISSUER_URL"
    with pytest.raises(TwinError, match=r"sets \['API_COGNITO_ISSUER_URL'\], which the app never reads"):
        _environment(twin, definition)


def test_a_reference_to_a_resource_without_a_stand_in_fails_the_twin(twin: Deployment) -> None:
    definition = copy.deepcopy(twin.task.app.definition)
    definition["Environment"].append(
        {"Name": "API_LOG_LEVEL", "Value": {"Fn::GetAtt": ["ApiLoadBalancer9F78B8A1", "DNSName"]}}
    )
    with pytest.raises(
        TwinError, match=r"ApiLoadBalancer9F78B8A1 \(AWS::ElasticLoadBalancingV2::LoadBalancer\)"
    ):
        _environment(twin, definition)


def test_a_secret_the_stack_no_longer_has_fails_the_twin(twin: Deployment) -> None:
    definition = copy.deepcopy(twin.task.app.definition)
    stack = copy.copy(twin.stack)
    stack.template = copy.deepcopy(twin.stack.template)
    (secret,) = definition["Secrets"]
    del stack.template["Resources"][secret["ValueFrom"]["Ref"]]
    with pytest.raises(TwinError, match=r"Ref of CursorSecret\w+ \(no such resource\) has no stand-in"):
        _environment(twin, definition, stack)


def test_the_task_as_synthesized_resolves(twin: Deployment) -> None:
    """The control: the same path with the task unaltered gives the environment the app runs with."""
    env = _environment(twin, copy.deepcopy(twin.task.app.definition))
    assert env["API_COGNITO_ISSUER"] == twin.tasks[0].env["API_COGNITO_ISSUER"]
    assert len(env["API_CURSOR_SECRET"]) == 64  # GenerateSecretString's PasswordLength
