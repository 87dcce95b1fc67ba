"""Progress bars for long steps: rich on a terminal, silent in logs and tests."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from voc.config import ProgressMode


def shows_progress(mode: ProgressMode) -> bool:
    """``on``: always; ``off``: never; ``auto``: only when stderr is a terminal (a person watching)."""
    if mode == "auto":
        return sys.stderr.isatty()
    return mode == "on"


@contextlib.contextmanager
def progress_bar(description: str, *, total: int, mode: ProgressMode | None = None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draws a rich bar only when ``mode`` asks for one (see :func:`shows_progress`).

    ``mode`` is the settings' ``progress``; None takes it from the environment's settings
    (:func:`voc.config.default_progress`) for callers that hold no settings object.
    """
    if mode is None:
        from voc.config import default_progress

        mode = default_progress()
    if total <= 0 or not shows_progress(mode):
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
