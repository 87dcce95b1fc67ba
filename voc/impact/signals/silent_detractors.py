"""Silent detractors: low scores with no comment, an empty one, or "nothing to add".

Method
------
1. A respondent is a record with a usable score; a detractor one in the low band
   (:data:`voc.impact._frames.SCORE_BANDS`: NPS 0-6, CSAT/stars 1-2, CES 1-3).
2. A detractor is silent when the comment is blank, has no letters, or is one of the
   :data:`NOTHING_PHRASES` (Polish, Finnish, Ukrainian, English, German), compared after lower-casing
   and stripping punctuation.
3. Where: for segment, channel and journey stage, the share of silent detractors in each value
   against the share of all respondents in it.
4. What they most likely share: silent detractors cannot be read, so they borrow the primary themes
   of *commenting* detractors in the same segment + channel + journey stage cell. When a cell has
   fewer than :data:`MIN_PEERS` commenting detractors, the cell is widened step by step (segment +
   channel, then segment, then everybody), and the level used is reported. The likely theme mix is
   the average of the borrowed distributions over all silent detractors. It is an inference from
   similar customers, not what they said, and the output says so.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import numpy as np
import pandas as pd

from voc.impact._frames import label_of, score_band, theme_labels
from voc.impact.signals.base import SignalContext, SignalResult, example_records, register_signal, shares_by
from voc.schemas import UNASSIGNED_THEME

#: Comments that say nothing, per language (matched whole, after normalisation).
NOTHING_PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "no",
        "nope",
        "none",
        "nothing",
        "nothing to add",
        "nothing else",
        "nothing more",
        "nothing to say",
        "no comment",
        "no comments",
        "n a",
        "na",
        "nil",
        "not really",
        "dont know",
        "don t know",
        "idk",
        "no thanks",
        "nothing really",
        "no further comments",
        "nothing further",
        "no feedback",
        "nothing at this time",
        "no comments at this time",
        "nothing more to say",
        "no remarks",
    ),
    "de": (
        "nein",
        "nichts",
        "nix",
        "keine",
        "kein",
        "kein kommentar",
        "keine kommentare",
        "keine anmerkungen",
        "keine angabe",
        "k a",
        "ka",
        "nichts hinzuzufügen",
        "nichts weiter",
        "weiß nicht",
        "weiss nicht",
        "keine ahnung",
        "nichts zu sagen",
        "nein danke",
        "alles gesagt",
        "keine weiteren anmerkungen",
        "nichts zu ergänzen",
        "keine bemerkungen",
        "nichts weiter hinzuzufügen",
        "kein feedback",
    ),
    "pl": (
        "nie",
        "nic",
        "brak",
        "brak uwag",
        "bez uwag",
        "bez komentarza",
        "brak komentarza",
        "nie mam",
        "nie mam uwag",
        "nie mam nic do dodania",
        "nic do dodania",
        "nie wiem",
        "trudno powiedzieć",
        "nie mam zdania",
        "nic więcej",
        "nie dziękuję",
        "brak zastrzeżeń",
        "nic nie dodam",
        "nie mam nic więcej",
        "nie mam nic do powiedzenia",
        "brak",
    ),
    "fi": (
        "ei",
        "ei mitään",
        "ei kommentteja",
        "ei kommenttia",
        "ei ole",
        "ei lisättävää",
        "ei mitään lisättävää",
        "en osaa sanoa",
        "eos",
        "en tiedä",
        "ei muuta",
        "eipä muuta",
        "ei sanottavaa",
        "ei kiitos",
        "ei kommentoitavaa",
        "ei huomautettavaa",
        "ei palautetta",
        "ei sen kummempaa",
        "ei mitään sanottavaa",
    ),
    "uk": (
        "ні",
        "нічого",
        "немає",
        "нема",
        "без коментарів",
        "без коментаря",
        "немає коментарів",
        "нічого додати",
        "нема чого додати",
        "нічого не маю додати",
        "не знаю",
        "важко сказати",
        "ні дякую",
        "немає зауважень",
        "зауважень немає",
        "без зауважень",
        "коментарів немає",
        "нічого сказати",
    ),
}

#: Commenting detractors needed in a cell before its theme mix is trusted.
MIN_PEERS: Final = 5

_ALL_PHRASES: Final[frozenset[str]] = frozenset(p for phrases in NOTHING_PHRASES.values() for p in phrases)
_MAX_PHRASE_CHARS: Final = 2 * max(len(p) for p in _ALL_PHRASES) + 10
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_CELL_LEVELS: Final[tuple[tuple[str, ...], ...]] = (
    ("segment", "channel", "journey_stage"),
    ("segment", "channel"),
    ("segment",),
    (),
)


def normalise_comment(text: object) -> str:
    """Lower-case, NFC, punctuation to spaces, collapsed: "Nothing to add!!" -> "nothing to add"."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    cleaned = _NON_WORD.sub(" ", unicodedata.normalize("NFC", str(text)).lower())
    return " ".join(cleaned.split())


def is_empty_comment(texts: pd.Series) -> pd.Series:
    """True where a comment says nothing (blank, no letters, or a :data:`NOTHING_PHRASES` entry).

    Only short texts can be a phrase, so only those are normalised (keeps this cheap on long
    free-text columns).
    """
    raw = texts.fillna("").astype(str)
    no_letters = ~raw.str.contains(r"[^\W\d_]", regex=True)
    short = raw.str.len() <= _MAX_PHRASE_CHARS
    phrase = pd.Series(False, index=texts.index)
    phrase[short] = raw[short].map(normalise_comment).isin(_ALL_PHRASES)
    return no_letters | phrase


def _primary_themes(ctx: SignalContext) -> pd.Series:
    """record_id -> primary theme id (real themes only)."""
    rt = ctx.record_themes
    if rt.empty:
        return pd.Series(dtype=int)
    primary = rt.loc[rt["is_primary"].astype(bool) & (rt["theme_id"].astype(int) != UNASSIGNED_THEME)]
    return primary.drop_duplicates("record_id").set_index("record_id")["theme_id"].astype(int)


def _cell_keys(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    if not columns:
        return pd.Series("(all)", index=frame.index)
    parts = [
        frame[c].fillna("(none)").astype(str) if c in frame else pd.Series("(none)", index=frame.index) for c in columns
    ]
    key = parts[0]
    for part in parts[1:]:
        key = key + " | " + part
    return key


def likely_theme_mix(
    silent: pd.DataFrame, peers: pd.DataFrame, *, min_peers: int = MIN_PEERS
) -> tuple[pd.Series, pd.DataFrame]:
    """Borrow theme distributions from commenting detractors in the nearest cell with enough peers.

    Parameters
    ----------
    silent : DataFrame, shape (n_silent, k)
        Silent detractors with segment/channel/journey_stage.
    peers : DataFrame, shape (n_peers, k + 1)
        Commenting detractors with the same columns plus ``theme_id`` (their primary theme).

    Returns
    -------
    mix : Series
        theme_id -> average share over the silent detractors (sums to 1 when any peers exist).
    per_record : DataFrame
        Per silent record: ``level`` (the cell columns used, "+"-joined; "(all)" for everybody),
        ``likely_theme_id`` and ``likely_theme_share``.
    """
    per_record = pd.DataFrame(
        index=silent.index, columns=["level", "likely_theme_id", "likely_theme_share"], dtype=object
    )
    weights: dict[int, float] = {}
    remaining = pd.Series(True, index=silent.index)
    for columns in _CELL_LEVELS:
        if not remaining.any() or peers.empty:
            break
        peer_keys = _cell_keys(peers, columns)
        dist = peers.groupby(peer_keys)["theme_id"].value_counts(normalize=True)
        sizes = peer_keys.value_counts()
        ok_cells = set(sizes[sizes >= (min_peers if columns else 1)].index)
        silent_keys = _cell_keys(silent, columns)
        take = remaining & silent_keys.isin(ok_cells)
        for key, idx in silent_keys[take].groupby(silent_keys[take]).groups.items():
            cell = dist.loc[key]
            for theme_id, share in cell.items():
                weights[int(theme_id)] = weights.get(int(theme_id), 0.0) + float(share) * len(idx)
            per_record.loc[idx, "level"] = "+".join(columns) if columns else "(all)"
            per_record.loc[idx, "likely_theme_id"] = int(cell.idxmax())
            per_record.loc[idx, "likely_theme_share"] = float(cell.max())
        remaining &= ~take
    total = sum(weights.values())
    mix = (
        pd.Series({k: v / total for k, v in weights.items()}, dtype=float).sort_values(ascending=False)
        if total
        else pd.Series(dtype=float)
    )
    return mix, per_record


@register_signal("silent_detractors")
def silent_detractors(ctx: SignalContext) -> SignalResult:
    """Table columns: segment, channel, journey_stage, n_silent, share_of_silent, n_respondents,
    silent_rate (silent / respondents in the cell), likely_theme_id, likely_theme_label,
    likely_theme_share, inferred_from (the cell level the themes were borrowed from)."""
    records = ctx.records
    band = score_band(records)
    respondents = band.notna()
    detractor = band == "low"
    silent_mask = pd.Series(False, index=records.index)
    silent_mask[detractor] = is_empty_comment(records.loc[detractor, "text"])
    n_silent, n_detr = int(silent_mask.sum()), int(detractor.sum())
    labels = theme_labels(ctx.themes)
    result = SignalResult(
        name="silent_detractors",
        title="Silent detractors",
        explanation=(
            "Respondents who gave a low score (NPS 0-6, CSAT or stars 1-2, CES 1-3) but left no comment, an "
            "empty one, or a 'nothing to add' phrase in any supported language. Their likely issues are "
            "inferred from detractors who did comment in the same segment, channel and journey stage "
            f"(widened to segment + channel, then segment, then all when a cell has fewer than {MIN_PEERS} "
            "commenting detractors): an estimate from similar customers, not their own words."
        ),
    )
    result.summary = {
        "n_respondents": int(respondents.sum()),
        "n_detractors": n_detr,
        "n_silent_detractors": n_silent,
        "silent_share_of_detractors": round(n_silent / n_detr, 4) if n_detr else None,
        "where": {
            col: shares_by(records.loc[respondents], silent_mask[respondents], col)
            for col in ("segment", "channel", "journey_stage")
        },
    }
    if n_silent == 0:
        return result
    primary = _primary_themes(ctx)
    peers = (
        records.loc[detractor & ~silent_mask]
        .assign(theme_id=lambda f: f["record_id"].map(primary))
        .dropna(subset=["theme_id"])
    )
    silent = records.loc[silent_mask]
    mix, per_record = likely_theme_mix(silent, peers)
    result.summary["likely_themes"] = [
        {"theme_id": int(t), "theme_label": label_of(labels, t), "share": round(float(s), 4)}
        for t, s in mix.head(5).items()
    ]
    cell_cols = [c for c in ("segment", "channel", "journey_stage") if c in records]
    cells = silent[cell_cols].fillna("(none)").astype(str).join(per_record)
    resp_cells = records.loc[respondents, cell_cols].fillna("(none)").astype(str).value_counts().rename("n_respondents")
    grouped = cells.groupby(cell_cols, dropna=False)
    table = grouped.size().rename("n_silent").to_frame().join(resp_cells)
    firsts = grouped[["likely_theme_id", "likely_theme_share", "level"]].first()
    table = table.join(firsts.rename(columns={"level": "inferred_from"})).reset_index()
    table["share_of_silent"] = table["n_silent"] / n_silent
    table["silent_rate"] = table["n_silent"] / table["n_respondents"]
    table["likely_theme_label"] = [label_of(labels, t) if pd.notna(t) else None for t in table["likely_theme_id"]]
    order = cell_cols + [
        "n_silent",
        "share_of_silent",
        "n_respondents",
        "silent_rate",
        "likely_theme_id",
        "likely_theme_label",
        "likely_theme_share",
        "inferred_from",
    ]
    result.table = table.sort_values(["n_silent"] + cell_cols, ascending=[False] + [True] * len(cell_cols))[
        order
    ].reset_index(drop=True)
    result.examples = example_records(records, silent["record_id"])
    return result
