"""One run's context, built once when a run opens and handed to the catalogue.

Everything a night shares and no step computes lives here: the settings, the store, the run's
id, the night asked for, where the deliverables and caches go. The night's clock and encoder stay
nodes (``clock``, ``embedder``): they are built once per night, after the night is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from voc.config import Settings
from voc.pipeline.catalog import params_of
from voc.store import Store


@dataclass(frozen=True)
class RunContext:
    """What a run opens with.

    Attributes
    ----------
    settings : Settings
        The one settings object; nodes receive its sections as ``params:<section>``.
    store : Store
        The open store; only the catalogue's datasets use it.
    run_id : str
        The run's row in ``runs``.
    night : date
        The night the run starts as (the ``resolve_night`` node may move it).
    requested_night : date or None
        The night given on the command line, if any.
    refit : bool
        Refit the theme model now instead of on its schedule.
    out_dir : Path
        Where the deliverables go.
    cache_dir : Path
        The folder for downloaded and derived caches (``settings.cache_dir``).
    """

    settings: Settings
    store: Store
    run_id: str
    night: date
    requested_night: date | None
    refit: bool
    out_dir: Path
    cache_dir: Path

    @classmethod
    def open(cls, settings: Settings, *, night: date | None, out_dir: Path | None, refit: bool) -> RunContext:
        """Open the store (waiting for its lock), close runs a killed process left open, register a run.

        Without ``night`` the run starts as today's; the ``resolve_night`` node moves it to the
        last day with data once the night's records are stored.
        """
        store = Store(settings.db_path, lock_timeout_s=settings.lock_timeout_s)
        store.close_stale_runs()
        start = night or date.today()
        return cls(
            settings=settings,
            store=store,
            run_id=store.start_run(start),
            night=start,
            requested_night=night,
            refit=refit,
            out_dir=Path(out_dir or settings.out_dir),
            cache_dir=Path(settings.cache_dir),
        )

    def values(self) -> dict[str, Any]:
        """The catalogue's in-memory entries of the run (the store is not one: steps never see it)."""
        return {
            "settings": self.settings,
            "run_id": self.run_id,
            "requested_night": self.requested_night,
            "refit": self.refit,
            "out_dir": self.out_dir,
            "cache_dir": self.cache_dir,
            **params_of(self.settings),
        }
