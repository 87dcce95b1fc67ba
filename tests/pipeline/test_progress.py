"""Progress bars follow the settings' ``progress``: never with off, always with on, on a terminal with auto."""

from __future__ import annotations

import io
import sys

import pytest

from voc.pipeline.progress import progress_bar, shows_progress


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("mode", "tty", "shown"),
    [("off", True, False), ("on", False, True), ("auto", True, True), ("auto", False, False)],
)
def test_mode_and_terminal_decide(monkeypatch, mode, tty, shown):
    monkeypatch.setattr(sys, "stderr", _Stream(tty))
    assert shows_progress(mode) is shown


def test_without_a_mode_the_environment_settings_decide(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Stream(True))
    drawn: list[str] = []

    import rich.progress

    class Recording(rich.progress.Progress):
        def add_task(self, description, *args, **kwargs):
            drawn.append(description)
            return super().add_task(description, *args, **kwargs)

    monkeypatch.setattr(rich.progress, "Progress", Recording)
    monkeypatch.setenv("VOC_PROGRESS", "off")
    with progress_bar("embedding", total=3) as advance:
        advance(3)
    assert drawn == []
    monkeypatch.setenv("VOC_PROGRESS", "auto")
    with progress_bar("embedding", total=3) as advance:
        advance(3)
    assert drawn == ["embedding"]
    with progress_bar("embedding", total=3, mode="off") as advance:  # an explicit mode wins
        advance(3)
    assert drawn == ["embedding"]
