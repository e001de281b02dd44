"""What every `trustpath` command shares: the consoles and clean failures.

An expected failure (bad configuration, a broken rule, an unreachable store, bad input)
is one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from rich.console import Console

from domain.config import ConfigurationError
from domain.errors import TrustpathError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])
EXPECTED: tuple[type[BaseException], ...] = (ConfigurationError, TrustpathError, OSError)


def failing_cleanly_on(*extra: type[BaseException]) -> Callable[[F], F]:
    """A decorator turning EXPECTED (and `extra`) errors into one line and exit status 1."""
    expected = (*EXPECTED, *extra)

    def decorate(command: F) -> F:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except expected as error:
                err_console.print(f"[red]trustpath: {error}[/red]", highlight=False, soft_wrap=True)
                sys.exit(1)

        return wrapper  # type: ignore[return-value]

    return decorate


fails_cleanly = failing_cleanly_on()
