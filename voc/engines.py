"""Engines that run a night: a registry from a name to a runner, filled by whoever can run one.

The library registers ``plain`` (every node in this process, :func:`voc.pipeline.run_pipeline`).
An orchestrator registers its own engine when its command line is built: ``flows`` registers
``prefect`` in :mod:`flows.engine`, so ``voc run --engine prefect`` exists exactly when the
orchestrator is there, and the library never imports it. ``auto`` asks each registered engine,
in registration order, whether it wants to be chosen (Prefect: when an API is configured) and
falls back to ``plain``.

Registering is explicit (an import of the orchestrator's module), not discovered through
installed package metadata: a checkout on ``PYTHONPATH`` behaves like an installed package, and
tests fill the registry the same way the application does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from voc.config import Settings

log = logging.getLogger(__name__)

AUTO = "auto"
PLAIN = "plain"


class EngineRunner(Protocol):
    """Run one night and return the output files by name (the paths ``voc run`` prints)."""

    def __call__(
        self,
        settings: Settings,
        *,
        night: date | None,
        out_dir: Path,
        refit: bool,
        verbose: bool,
        status: Callable[[str], None],
    ) -> dict[str, Path]: ...


@dataclass(frozen=True)
class Engine:
    """A registered engine.

    Attributes
    ----------
    name : str
        What ``--engine`` takes.
    run : EngineRunner
    description : str
        One line for the command's help.
    preferred : callable() -> bool, optional
        True when ``auto`` should choose this engine; an engine without it is chosen only by name.
    prepare : callable(verbose) -> None, optional
        Called at the start of a command, before anything is imported: an orchestrator that reads
        its settings on import (Prefect) sets its environment defaults here.
    """

    name: str
    run: EngineRunner
    description: str = ""
    preferred: Callable[[], bool] | None = None
    prepare: Callable[[bool], None] | None = None


_ENGINES: dict[str, Engine] = {}


def register(
    name: str,
    *,
    description: str = "",
    preferred: Callable[[], bool] | None = None,
    prepare: Callable[[bool], None] | None = None,
) -> Callable[[EngineRunner], EngineRunner]:
    """Decorator: register the decorated runner as the engine ``name`` (a second registration replaces the first).

    ``@register("prefect", preferred=api_configured)`` above a function with the
    :class:`EngineRunner` signature makes ``voc run --engine prefect`` call it.
    """
    if name == AUTO:
        raise ValueError(f"{AUTO!r} chooses among the engines; it cannot be registered")

    def decorate(runner: EngineRunner) -> EngineRunner:
        _ENGINES[name] = Engine(name, runner, description, preferred, prepare)
        return runner

    return decorate


def unregister(name: str) -> None:
    """Remove the engine ``name`` when it is registered (tests, or an application that offers fewer)."""
    _ENGINES.pop(name, None)


def engine_names() -> list[str]:
    """The registered engines' names, in registration order."""
    return list(_ENGINES)


def get_engine(name: str) -> Engine:
    """The engine ``name``; ``auto`` is resolved (see the module docstring).

    Raises
    ------
    voc.errors.InputError
        When no engine of that name is registered; the message lists those that are.
    """
    from voc.errors import InputError

    if name == AUTO:
        for engine in _ENGINES.values():
            if engine.name != PLAIN and engine.preferred is not None and engine.preferred():
                return engine
        name = PLAIN
    if name not in _ENGINES:
        known = ", ".join([AUTO, *_ENGINES])
        raise InputError(f"engine '{name}' is not available here (known: {known}); the prefect engine comes with flows")
    return _ENGINES[name]


def prepare_engines(*, verbose: bool) -> None:
    """Let every registered engine set its environment up before a command imports anything heavy."""
    for engine in _ENGINES.values():
        if engine.prepare is not None:
            engine.prepare(verbose)


@register(PLAIN, description="every step in this process")
def run_plain(
    settings: Settings,
    *,
    night: date | None,
    out_dir: Path,
    refit: bool,
    verbose: bool,
    status: Callable[[str], None],
) -> dict[str, Path]:
    """The nodes in this process, inside one store transaction; a failed night is recorded as a served one is.

    Its failure is heard like a served night's: recorded in ``runs``, the outputs marked stale,
    the webhook called (:func:`voc.pipeline.outcome.handle_failed_night`), then raised again.
    """
    from voc.pipeline import run_pipeline
    from voc.pipeline.outcome import handle_failed_night
    from voc.store.warehouse import _utcnow

    status("starting")
    started = _utcnow()
    try:
        result = run_pipeline(
            settings,
            night=night,
            out_dir=out_dir,
            refit=refit,
            on_status=status,
        )
    except Exception as exc:
        handle_failed_night(settings, night=night, out_dir=out_dir, error=f"{type(exc).__name__}: {exc}", since=started)
        raise
    return result.paths
