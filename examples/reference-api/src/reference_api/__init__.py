"""Reference case-management API deployed by cdk-casemgmt."""

__version__ = "0.1.0"
