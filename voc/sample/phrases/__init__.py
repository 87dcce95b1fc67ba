"""Hand-written phrase banks, one module per language.

Each module defines ``THEMES`` (theme id -> list of core sentences raising that theme),
``GENERIC`` (wrappers and theme-less comments by role, see :data:`GENERIC_KEYS`) and ``NAMES``
(first names for sign-offs). Core sentences may hold the slots ``{order}`` and ``{amount}``;
contact sentences hold ``{email}``, ``{phone}``, ``{iban}``, ``{card}`` or a national id
(``{pesel}`` in Polish, ``{hetu}`` in Finnish, under the optional role ``contact_national_id``);
connectors hold ``{s}`` (the next sentence with its first letter lowered) or ``{S}`` (kept as
written, for German nouns).

All text was written for this project; none is taken from a data set.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from voc.sample.catalog import THEME_IDS
from voc.sample.phrases import de, en, fi, pl, uk

#: Phrase bank per supported language code.
BANKS: Final[dict[str, ModuleType]] = {"pl": pl, "fi": fi, "uk": uk, "en": en, "de": de}

#: Roles every bank's ``GENERIC`` must provide.
GENERIC_KEYS: Final[tuple[str, ...]] = (
    "positive",
    "negative",
    "neutral",
    "polite",
    "nothing",
    "greeting",
    "chat_greeting",
    "signoff",
    "complaint_close",
    "review_pos_close",
    "review_neg_close",
    "context",
    "contact_email",
    "contact_phone",
    "contact_iban",
    "contact_card",
    "connector",
    "at_risk_opener",
)

#: Fewest distinct core sentences a theme needs per language, so the sample is not a few
#: sentences repeated (clustering on repeated strings would measure nothing).
MIN_CORES: Final = 10


def check_banks() -> None:
    """Fail loudly when a bank misses a theme, a role or enough paraphrases.

    Raises
    ------
    ValueError
        Naming the language, theme or role at fault.
    """
    for lang, bank in BANKS.items():
        missing = [t for t in THEME_IDS if t not in bank.THEMES]
        if missing:
            raise ValueError(f"phrase bank {lang!r} lacks themes {missing}")
        for theme, cores in bank.THEMES.items():
            if len(set(cores)) < MIN_CORES:
                raise ValueError(
                    f"phrase bank {lang!r}, theme {theme!r}: {len(set(cores))} distinct cores < {MIN_CORES}"
                )
        absent = [k for k in GENERIC_KEYS if not bank.GENERIC.get(k)]
        if absent:
            raise ValueError(f"phrase bank {lang!r} lacks generic roles {absent}")
