"""The CLI's one error boundary: every failure becomes a short message and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from sqlalchemy.exc import SQLAlchemyError

# NOTE: typer >= 0.29 vendors click; its usage errors are only importable from here.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from control_catalog import CatalogError
from workflows.errors import WorkflowError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A user-facing failure raised by a command, shown as one line."""


def run_guarded(command: Callable[[], object]) -> int:
    """Run the click command and translate every expected failure into (message, exit code)."""
    try:
        result = command()
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return _fail("aborted", EXIT_INTERRUPTED)
    except NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else exc.format_message())
        return 0
    except ClickException as exc:
        hint = _usage_hint(exc)
        message = exc.format_message().replace("Value error, ", "")
        return _fail(message + hint, exc.exit_code)
    except CatalogError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    except (CliError, WorkflowError) as exc:
        return _fail(str(exc), EXIT_ERROR)
    except SQLAlchemyError as exc:
        return _fail(f"database error: {_first_line(exc)}", EXIT_ERROR)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    # NOTE: with standalone_mode=False click returns typer.Exit's code instead of raising it.
    return result if isinstance(result, int) else 0


def _fail(message: str, code: int) -> int:
    """Print one error line to stderr and return the exit code."""
    print(f"error: {message}", file=sys.stderr)
    return code


def _usage_hint(exc: ClickException) -> str:
    """` (see 'controlbot release plan --help')` for usage errors."""
    if isinstance(exc, UsageError) and exc.ctx is not None:
        return f" (see '{exc.ctx.command_path} --help')"
    return ""


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's message without SQL, parameters or the URL."""
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__
