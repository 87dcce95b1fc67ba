"""The error types a user may see, shared by the library, the CLI and the flows.

Why one module: the CLI turns any :class:`VocError` into one plain sentence and exit status 2
(no traceback unless ``--verbose``), and the flows retry only :class:`TransientError` (a locked
store, a source database that timed out), never bad input, which cannot heal by waiting.
"""

from __future__ import annotations


class VocError(Exception):
    """A problem the user can fix; its message names the file, option or column and what to do."""

    exit_code: int = 2


class InputError(VocError, ValueError):
    """Input (a file, an option value, a setting) that cannot be used at all."""


class TransientError(VocError):
    """A fault that may heal by itself: retried with backoff by the flows."""


class StoreLockedError(TransientError):
    """Another process holds the DuckDB store for writing and did not release it in time."""


class SourceUnavailableError(TransientError):
    """A source (a SQL database, a network share) could not be reached or timed out."""
