"""The four roles, defined once: their names (also the Cognito groups'), their order, who is staff.

A user's role is the highest of their ``cognito:groups``, in the order below (the user pool gives the
groups the same precedence). Staff (admin, manager, agent) work cases; supervisors (admin, manager)
also see every case, delete and restore cases, manage members and approve time; clients see the cases
they requested or were given access to. The reference deployment's user pool groups, the database's
check constraint and the OpenAPI schema's ``Role`` all come from here.
"""

from __future__ import annotations

from enum import Enum


# Highest first. (A comment, not a docstring: pydantic would copy a docstring into the OpenAPI schema.)
class Role(str, Enum):
    admin = "admin"
    manager = "manager"
    agent = "agent"
    client = "client"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
SUPERVISORS = frozenset({Role.admin.value, Role.manager.value})
STAFF = SUPERVISORS | {Role.agent.value}
