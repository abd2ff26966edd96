"""One error handler for every `laolink` command: one line on stderr naming the problem, a non-zero exit, no traceback.

The app's group (:class:`ErrorReportingGroup`) catches what any command raises. A LaoLinkError (or ValueError) is
written for the user and printed as it is; anything else is printed with its type and a hint to get the traceback
(``LAOLINK_TRACEBACK=1``). Exit status 1, except 2 when a pipeline step (:class:`StepCommand`) cannot use its
input, as for a bad option; a blocking cap is a refusal (1) everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import typer
from typer._click.exceptions import ClickException  # typer 0.29 vendors click and does not re-export this base
from typer.core import TyperCommand, TyperGroup

from linkage.errors import LaoLinkError
from linkage.model.blocking import BlockingCapError

TRACEBACK_ENV = "LAOLINK_TRACEBACK"
_FAILURE_KEY = "laolink.failure"  # in click's ctx.meta, which a group shares with the command it runs


@dataclass(frozen=True)
class Failure:
    """How a command's error is reported: the line's prefix, whether the exception type is named, the exit status."""

    prefix: str = "error"
    exit_code: int = 1
    name_type: bool = False


class StepCommand(TyperCommand):
    """A pipeline step (ingest, blocking report, train, predict, evaluate): an error means its input cannot be used."""

    failure = Failure(exit_code=2)

    def invoke(self, ctx: typer.Context) -> Any:
        ctx.meta[_FAILURE_KEY] = self.failure
        return super().invoke(ctx)


class NightlyCommand(StepCommand):
    """`laolink nightly`: any failure is the run's, named with its type (the run report keeps the detail)."""

    failure = Failure(prefix="nightly run failed", name_type=True)


class ErrorReportingGroup(TyperGroup):
    """The `laolink` group: runs the chosen command and reports what it raises (see the module docstring)."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):  # typer's own exits and usage errors print themselves
            raise
        except Exception as exc:
            if os.environ.get(TRACEBACK_ENV) == "1":
                raise
            failure = ctx.meta.get(_FAILURE_KEY, Failure())
            typer.echo(error_line(exc, failure), err=True)
            raise typer.Exit(exit_status(exc, failure)) from None


def _expected(exc: Exception) -> bool:
    return isinstance(exc, LaoLinkError | ValueError)


def error_line(exc: Exception, failure: Failure = Failure()) -> str:
    """The one line printed for ``exc``: its message's first line, with its type when unexpected."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if failure.name_type or not _expected(exc):
        text = f"{type(exc).__name__}: {text}"
    if not _expected(exc):
        text += f" (set {TRACEBACK_ENV}=1 to see where)"
    return f"{failure.prefix}: {text}"


def exit_status(exc: Exception, failure: Failure = Failure()) -> int:
    """``failure.exit_code`` for an error in the input, 1 for a refusal (blocking cap) or an unexpected error."""
    if isinstance(exc, BlockingCapError) or not _expected(exc):
        return 1
    return failure.exit_code
