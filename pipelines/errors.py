"""Errors a user can act on: the CLI prints their message (no traceback) and exits with their code."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message says what went wrong and what to do."""

    exit_code = 1


class UsageError(UserFacingError):
    exit_code = 2
