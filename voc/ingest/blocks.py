"""Parsing a chunk block by block, so that blocks parsed on an earlier night can be reused.

Why: a nightly source is most often the same export grown by a day, and parsing (language
detection, personal-data redaction, dates and scores) is about nine tenths of ingest. Every step
of :func:`voc.ingest.parse_chunk` is a function of one row, so a chunk parsed in blocks of
:data:`BLOCK_ROWS` rows gives what the whole chunk gives; a block whose raw cells, row numbers
and parse settings are unchanged gives what it gave last night, and a :class:`ParsedBlockCache`
(the pipeline keeps one in the user's cache folder) hands it back instead of parsing it again.

What depends on the night (rows dated after it go to quarantine) is applied after the blocks are
joined, so a block is reusable across nights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import pandas as pd

#: rows per parsed block: the unit of reuse (a grown export re-parses at most one old block)
BLOCK_ROWS: Final = 2_048


@dataclass
class ParsedChunk:
    """One chunk (or block) mapped and cleaned, before anything that depends on earlier chunks.

    Attributes
    ----------
    fields : DataFrame, one row per input row of the chunk (mapped fields, clean text, text_hash)
    problems : list of (position in the chunk, column, reason)
    languages : list of str or None, one per row
        Confident detections (None where unsure or for a quarantined row); the source's majority
        fills the unsure ones once every chunk is settled.
    field_redactions : int
    source_file : str
    """

    fields: pd.DataFrame
    problems: list[tuple[int, str, str]]
    languages: list[str | None]
    field_redactions: int
    source_file: str


class ParsedBlockCache(Protocol):
    """Where parsed blocks are kept between nights (:class:`voc.pipeline.fingerprint.ParseCache`)."""

    def get(self, block: pd.DataFrame, *, source: str, context: object) -> ParsedChunk | None:
        """The block's parse kept under the same cells, row numbers and ``context``, or None."""
        ...

    def put(self, block: pd.DataFrame, parsed: ParsedChunk, *, source: str, context: object) -> None:
        """Keep ``parsed`` for ``block`` of ``source`` under ``context``."""
        ...

    def finish(self, source: str) -> None:
        """``source`` is read: its kept blocks this read did not use may go."""
        ...


def split_blocks(raw: pd.DataFrame, *, size: int = BLOCK_ROWS) -> list[pd.DataFrame]:
    """``raw`` cut into consecutive blocks of ``size`` rows (the last may be shorter; none when empty).

    Each block keeps the chunk's columns, its own row numbers as index, the chunk's
    ``source_file`` and the reader's row problems of its own rows (``attrs``).
    """
    found = raw.attrs.get("read_problems") or {}
    blocks = []
    for start in range(0, len(raw), size):
        block = raw.iloc[start : start + size]
        rows = {int(r) for r in block.index}
        block.attrs = {**raw.attrs, "read_problems": {r: p for r, p in found.items() if int(r) in rows}}
        blocks.append(block)
    return blocks


def parse_blocks(blocks: Sequence[pd.DataFrame], *, parse: Callable[[pd.DataFrame], ParsedChunk]) -> list[ParsedChunk]:
    """``parse`` of each block, in order (one partition of work for a runner)."""
    return [parse(block) for block in blocks]


def join_parsed(parts: Sequence[ParsedChunk]) -> ParsedChunk:
    """One parsed chunk from its parsed blocks, in order: positions shifted, redaction counts added."""
    offsets = np.cumsum([0] + [len(p.fields) for p in parts])
    fields = pd.concat([p.fields for p in parts], ignore_index=True) if parts else pd.DataFrame()
    problems = [
        (int(pos + offset), column, reason) for p, offset in zip(parts, offsets) for pos, column, reason in p.problems
    ]
    languages = [code for p in parts for code in p.languages]
    return ParsedChunk(
        fields=fields,
        problems=problems,
        languages=languages,
        field_redactions=int(sum(p.field_redactions for p in parts)),
        source_file=parts[0].source_file if parts else "",
    )
