"""The one error type ingest raises for input it cannot take."""

from __future__ import annotations

from typing import Any

from voc.errors import InputError


class IngestError(InputError):
    """Input that cannot be ingested at all (as opposed to single bad rows, which go to quarantine).

    The message always names the file (or the masked SQL URL) and, where it applies, the row and
    the column, so the person who owns the export can fix it without reading code.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None, column: str | None = None):
        where = [
            f"{file}" if file else None,
            f"row {row}" if row is not None else None,
            f"column '{column}'" if column else None,
        ]
        prefix = ", ".join(w for w in where if w)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.message = message
        self.file = file
        self.row = row
        self.column = column

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # raised on a Dask worker (a chunk parsed there), it must arrive whole: file, row, column
        return _rebuild, (type(self), self.message, self.file, self.row, self.column)


def _rebuild(
    cls: type[IngestError], message: str, file: str | None, row: int | None, column: str | None
) -> IngestError:
    return cls(message, file=file, row=row, column=column)
