"""Where a night is: per step, with counts and an estimate, on a terminal and in plain logs.

Two readers watch a night. A person at a terminal gets rich bars (and the command's status line
from :meth:`NightProgress.status`, e.g. "step 12/28 fit_themes: assign units to themes · 1m20s
elapsed · about 3m left"). Everyone else (CI, cron, a Prefect run log) gets one plain
``key=value`` line per step and, in long steps, one every tenth of the work or every
:data:`PLAIN_EVERY_S` seconds, on the ``voc.progress`` logger, so a night never sits silent for
minutes. The estimate comes from the previous successful night's seconds per step, scaled by how
tonight compares so far; without one, from tonight's mean step time.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

from voc.config import ProgressMode

log = logging.getLogger("voc.progress")

#: a plain progress line at least this often (seconds) while a long step advances
PLAIN_EVERY_S = 30.0
#: ... and at every this share of its work
PLAIN_EVERY_SHARE = 0.1


def shows_progress(mode: ProgressMode) -> bool:
    """``on``: always; ``off``: never; ``auto``: only when stderr is a terminal (a person watching)."""
    if mode == "auto":
        return sys.stderr.isatty()
    return mode == "on"


def logs_progress(mode: ProgressMode) -> bool:
    """Plain progress lines: with ``auto`` when nobody watches a terminal (CI, cron, Prefect)."""
    return mode == "auto" and not sys.stderr.isatty()


def format_seconds(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a status line."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class NightProgress:
    """Step i of n, elapsed time and an estimate of what is left, for one night.

    Parameters
    ----------
    steps : sequence of (name, description)
        The night's nodes in order.
    expected : mapping of str to float, optional
        Seconds per step of the previous successful night (:func:`expected_seconds`).
    plain : bool
        Write a ``voc.progress`` log line at every step's start and end.
    clock : callable
        Seconds, monotonic (a test passes a fake one).
    """

    def __init__(
        self,
        steps: Sequence[tuple[str, str]],
        *,
        expected: Mapping[str, float] | None = None,
        plain: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.steps = list(steps)
        self.names = [name for name, _ in self.steps]
        self.expected = {k: float(v) for k, v in (expected or {}).items() if k in self.names}
        self.plain = plain
        self.clock = clock
        self.started_at = clock()
        self.done: dict[str, float] = {}
        self.current: str | None = None
        self.current_started: float | None = None

    def index(self, name: str) -> int:
        """1-based position of step ``name`` (0 when it is not one of the night's steps)."""
        return self.names.index(name) + 1 if name in self.names else 0

    def elapsed(self) -> float:
        return self.clock() - self.started_at

    def remaining(self) -> float | None:
        """Seconds still to go (the current step and every later one), None before any evidence.

        With last night's step times the estimate is their sum over the steps not finished,
        scaled by tonight's speed against last night on the finished ones. Without them, the mean
        time of tonight's finished steps times the steps left.
        """
        left = [n for n in self.names if n not in self.done]
        if not left:
            return 0.0
        if self.expected and sum(self.expected.values()) > 0:
            seen = [n for n in self.done if self.expected.get(n, 0) > 0]
            ratio = sum(self.done[n] for n in seen) / sum(self.expected[n] for n in seen) if seen else 1.0
            ahead = sum(self.expected.get(n, 0.0) for n in left) * ratio
            if self.current in left and self.current_started is not None:
                ahead -= min(self.clock() - self.current_started, self.expected.get(self.current, 0.0) * ratio)
            return max(ahead, 0.0)
        if not self.done:
            return None
        return sum(self.done.values()) / len(self.done) * len(left)

    def status(self, name: str | None = None) -> str:
        """One line for a terminal status, e.g. "step 3/28 embed: embed units · 12s elapsed · about 2m left"."""
        name = name or self.current or ""
        description = dict(self.steps).get(name, "")
        what = f"{name}: {description}" if description and description != name else name
        parts = [f"step {self.index(name)}/{len(self.names)} {what}", f"{format_seconds(self.elapsed())} elapsed"]
        remaining = self.remaining()
        if remaining is not None:
            parts.append(f"about {format_seconds(remaining)} left")
        return " · ".join(parts)

    def start(self, name: str) -> str:
        """Mark step ``name`` started; return its status line (logged when plain)."""
        self.current, self.current_started = name, self.clock()
        if self.plain:
            remaining = self.remaining()
            log.info(
                "progress step=%s index=%d/%d elapsed_s=%.0f%s",
                name,
                self.index(name),
                len(self.names),
                self.elapsed(),
                "" if remaining is None else f" eta_s={remaining:.0f}",
            )
        return self.status(name)

    def finish(self, name: str, seconds: float, counts: Mapping[str, int] | None = None) -> None:
        """Mark step ``name`` done after ``seconds``; ``counts`` (rows per output) go in its plain line."""
        self.done[name] = float(seconds)
        self.current, self.current_started = None, None
        if self.plain:
            done = len(self.done)
            remaining = self.remaining()
            log.info(
                "progress step=%s done=%d/%d pct=%.0f seconds=%.2f elapsed_s=%.0f%s%s",
                name,
                done,
                len(self.names),
                100.0 * done / max(len(self.names), 1),
                seconds,
                self.elapsed(),
                "" if remaining is None else f" eta_s={remaining:.0f}",
                "".join(f" {k}={v}" for k, v in (counts or {}).items()),
            )


def expected_seconds(last_run: Mapping[str, object] | None) -> dict[str, float]:
    """Seconds per step of a finished run, from its ``runs`` row's ``summary`` JSON.

    ``last_run`` is :meth:`voc.store.Store.last_run`'s row (None before the first night);
    anything unreadable gives an empty mapping: no estimate is better than a wrong one.
    """
    import json

    try:
        seconds = json.loads(str((last_run or {}).get("summary") or "{}")).get("seconds") or {}
    except (TypeError, ValueError, AttributeError):
        return {}
    if not isinstance(seconds, dict):
        return {}
    return {str(k): float(v) for k, v in seconds.items() if isinstance(v, (int, float))}


@contextlib.contextmanager
def plain_progress_output(mode: ProgressMode) -> Iterator[None]:
    """Let ``voc.progress`` lines reach stderr where nobody watches a terminal.

    The command line shows WARNING and above unless ``--verbose``, so without this a night in
    cron or CI printed nothing for minutes. A handler is added only when no handler on the way
    to the root would already print INFO (``--verbose``, an orchestrator's own handlers).
    """
    if not logs_progress(mode) or _prints_info(log):
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"))
    previous = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)


def _prints_info(logger: logging.Logger) -> bool:
    """Whether some handler on ``logger``'s way to the root would emit an INFO record."""
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if handler.level <= logging.INFO:
                return True
        if not current.propagate:
            return False
        current = current.parent
    return False


@contextlib.contextmanager
def progress_bar(description: str, *, total: int, mode: ProgressMode | None = None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``: a rich bar on a terminal, plain progress lines elsewhere.

    ``mode`` is the settings' ``progress``; None takes it from the environment's settings
    (:func:`voc.config.default_progress`) for callers that hold no settings object. Outside a
    terminal (``auto``) a ``voc.progress`` line with the count, the percentage and an estimate
    is written at every tenth of the work or every :data:`PLAIN_EVERY_S` seconds.
    """
    if mode is None:
        from voc.config import default_progress

        mode = default_progress()
    if total <= 0:
        yield lambda n: None
        return
    if not shows_progress(mode):
        if logs_progress(mode):
            with _plain_bar(description, total=total) as advance:
                yield advance
        else:
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


@contextlib.contextmanager
def _plain_bar(
    description: str, *, total: int, clock: Callable[[], float] = time.monotonic
) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` that logs "progress task=... done=... total=... pct=... eta_s=..." now and then."""
    started = clock()
    done, logged_at, logged_share = 0, started, 0.0

    def advance(n: int) -> None:
        nonlocal done, logged_at, logged_share
        done += n
        now = clock()
        share = done / total
        if share < 1 and share - logged_share < PLAIN_EVERY_SHARE and now - logged_at < PLAIN_EVERY_S:
            return
        logged_at, logged_share = now, share
        rate = done / max(now - started, 1e-9)
        log.info(
            "progress task=%s done=%d total=%d pct=%.0f elapsed_s=%.0f eta_s=%.0f",
            description.replace(" ", "_"),
            done,
            total,
            100.0 * share,
            now - started,
            (total - done) / rate if rate > 0 else float("nan"),
        )

    yield advance
