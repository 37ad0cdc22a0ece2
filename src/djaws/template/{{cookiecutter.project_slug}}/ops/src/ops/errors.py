"""Failures ops reports as one line on stderr, each with its exit status."""

from __future__ import annotations


class OpsError(Exception):
    """Something went wrong that the user can act on; the message is the whole report."""

    exit_code = 1


class UsageError(OpsError):
    """Bad input or configuration: nothing was changed."""

    exit_code = 2


class NoInfrastructure(OpsError):
    """The environment has no infrastructure yet (no Terraform outputs): nothing to deploy to."""

    exit_code = 3
