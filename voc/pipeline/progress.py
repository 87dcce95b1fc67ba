"""Progress bars for long steps: rich on a terminal, silent in logs and tests."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator


def _interactive() -> bool:
    return sys.stderr.isatty() and os.environ.get("VOC_PROGRESS", "auto") != "off"


@contextlib.contextmanager
def progress_bar(description: str, *, total: int) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draws a rich bar only when a person is watching a terminal."""
    if total <= 0 or not _interactive():
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
