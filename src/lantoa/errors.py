"""Exceptions for expected failures: users see a message, never a traceback.

Exit codes: 0 ok, 1 content or build failure, 2 usage.
"""

from __future__ import annotations

import click


class LantoaError(click.ClickException):
    """A failure the user can act on (bad content, failed build)."""

    exit_code = 1

    def show(self, file=None) -> None:  # noqa: D401 - click API
        click.echo(f"error: {self.format_message()}", file=file, err=True)


class UsageError(click.UsageError):
    """Wrong use of the command line (exit 2)."""
