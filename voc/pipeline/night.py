"""Which night a run describes when none is given.

Why: a nightly job at 02:00 has no feedback dated today yet, and a file exported a week ago ends a
week ago. Taking "today" then makes every trend read -100 % and every window empty. The night
defaults to the last day with data when that is earlier than today, and the run says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisClock:
    """The night's one clock, built once the night is known and handed to every step that asks the time.

    Feedback dated on the night belongs to it; windows, trends and cooldowns end at ``cutoff``, the
    midnight after the night, so a rerun of the same night always sees the same window.
    """

    night: date

    @property
    def starts(self) -> datetime:
        """Midnight at the start of the night's day: when tonight's themes are born and seen."""
        return datetime.combine(self.night, time.min)

    @property
    def cutoff(self) -> datetime:
        """The midnight after the night: everything before it is history, nothing after is."""
        return self.starts + timedelta(days=1)


def resolve_night(
    night: date, requested_night: date | None, last_record_date: date | None, today: date | None = None
) -> date:
    """The requested night, else ``min(today, last day with data)``.

    The catalogue's ``night`` dataset moves the run's row in ``runs`` when the night changes.
    """
    if requested_night is not None:
        return requested_night
    today = today or date.today()
    last = last_record_date
    if last is None or last >= today:
        return night
    log.warning(
        "step=resolve_night night=%s reason=%r",
        last.isoformat(),
        f"no --night given and the newest feedback is from {last.isoformat()}, before today ({today.isoformat()}): "
        f"processing the night of {last.isoformat()}",
    )
    return last
