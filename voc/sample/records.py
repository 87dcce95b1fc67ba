"""Drawing one feedback record at a time: who writes, when, through which source, about what.

:class:`RecordBuilder` owns the mixes (languages, segments, sources, channels, score types) and
the two time-dependent plants, the spike and the emerging theme, because both live in the theme
weights of a given day. The generator in :mod:`voc.sample.generator` decides how many records of
each kind to draw and adds what happens after drawing (duplicates, bad rows, churn).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from voc.sample.catalog import THEME_BY_ID, THEMES, theme_with_role
from voc.sample.compose import TextComposer, pick
from voc.sample.phrases import BANKS
from voc.sample.pii import MARKETS

LANGUAGE_MIX: Final[dict[str, float]] = {"pl": 0.22, "fi": 0.18, "uk": 0.18, "en": 0.20, "de": 0.22}
SEGMENT_MIX: Final[dict[str, float]] = {"consumer": 0.65, "small_business": 0.25, "premium": 0.10}
#: (mu, sigma) of the log of yearly revenue per segment, in EUR
VALUE_LOGNORMAL: Final[dict[str, tuple[float, float]]] = {
    "consumer": (5.6, 0.7),
    "small_business": (7.3, 0.9),
    "premium": (7.0, 0.5),
}
JOURNEY_STAGES: Final[dict[str, float]] = {
    "purchase": 0.20,
    "delivery": 0.15,
    "onboarding": 0.08,
    "usage": 0.20,
    "support": 0.12,
    "billing": 0.10,
    "renewal": 0.10,
    "cancellation": 0.05,
}
SOURCE_MIX: Final[dict[str, float]] = {"review": 0.25, "complaint": 0.15, "ticket": 0.22, "survey": 0.38}
CHANNELS: Final[dict[str, dict[str, float]]] = {
    "review": {"web": 0.6, "app": 0.4},
    "complaint": {"email": 0.5, "phone": 0.2, "store": 0.15, "web": 0.15},
    "ticket": {"chat": 0.45, "email": 0.35, "phone": 0.2},
    "survey": {"email": 0.55, "app": 0.3, "web": 0.15},
}
SURVEY_SCORE_TYPES: Final[dict[str, float]] = {"nps": 0.6, "csat": 0.22, "ces": 0.18}
#: probability of 0, 1, 2, 3 theme sentences in a commented record, per source type
N_THEMES: Final[dict[str, dict[str, float]]] = {
    "review": {"0": 0.10, "1": 0.60, "2": 0.26, "3": 0.04},
    "complaint": {"0": 0.03, "1": 0.55, "2": 0.32, "3": 0.10},
    "ticket": {"0": 0.05, "1": 0.72, "2": 0.20, "3": 0.03},
    "survey": {"0": 0.15, "1": 0.68, "2": 0.15, "3": 0.02},
}
#: personal data added to an e-mail complaint (national ids exist in the pl and fi banks only)
CONTACT_MIX: Final[dict[str, float]] = {"email": 0.36, "phone": 0.32, "iban": 0.1, "card": 0.08, "national_id": 0.14}
WEEKDAY_FACTOR: Final = (1.15, 1.1, 1.05, 1.05, 1.0, 0.8, 0.7)

SPIKE_DAYS: Final = 7
SPIKE_FACTOR: Final = 8.0
EMERGING_DAYS: Final = 10


@dataclass
class SampleRecord:
    """One drawn record, before ids, duplicates and corruption are added."""

    created: dt.datetime
    customer: int
    source_type: str
    channel: str
    text: str
    score: float | None
    score_type: str | None
    journey_stage: str
    themes: list[str]
    tags: list[str] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)
    created_text: str | None = None
    duplicate_of: int | None = None
    feedback_id: str = ""


_CUMULATIVE: dict[tuple[tuple[str, float], ...], tuple[list[str], list[float]]] = {}


def _draw_index(rng: np.random.Generator, cum: list[float]) -> int:
    # bisect on plain floats: numpy's choice/searchsorted cost ~20x more per single draw
    return min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _draw(rng: np.random.Generator, mix: dict[str, float]) -> str:
    """One key of ``mix`` with probability proportional to its value."""
    key = tuple(mix.items())
    if key not in _CUMULATIVE:
        _CUMULATIVE[key] = (list(mix), list(itertools.accumulate(mix.values())))
    keys, cum = _CUMULATIVE[key]
    return keys[_draw_index(rng, cum)]


def _clip_round(value: float, low: int, high: int) -> int:
    return int(min(max(round(value), low), high))


def score_from_latent(latent: float, score_type: str, themes: list[str]) -> int:
    """Map latent satisfaction (0 = an ordinary customer, unit ~ one noise sd) to a scale.

    CES is "how easy was it" on 1-7 (higher is easier); effortful themes (returns, the hotline)
    cost extra effort beyond their effect on satisfaction.
    """
    if score_type == "nps":
        return _clip_round(7.6 + 1.8 * latent, 0, 10)
    if score_type == "csat":
        return _clip_round(4.1 + 0.9 * latent, 1, 5)
    if score_type == "ces":
        effort = 0.7 if {"return_process", "hotline_service"} & set(themes) else 0.0
        return _clip_round(5.4 + 1.2 * (latent - effort), 1, 7)
    return _clip_round(4.2 + 1.0 * latent, 1, 5)


class RecordBuilder:
    """Draws customers and records in a fixed order from one generator."""

    def __init__(self, rng: np.random.Generator, end_date: dt.date, days: int) -> None:
        self.rng = rng
        self.end_date = end_date
        self.days = days
        self.start_date = end_date - dt.timedelta(days=days - 1)
        self.composers = {lang: TextComposer(lang) for lang in BANKS}
        self.spike = theme_with_role("spike").id
        self.emerging = theme_with_role("emerging").id

    # --- customers ---------------------------------------------------------------------------
    def customers(self, n: int) -> pd.DataFrame:
        rng = self.rng
        language = [_draw(rng, LANGUAGE_MIX) for _ in range(n)]
        segment = [_draw(rng, SEGMENT_MIX) for _ in range(n)]
        value = [float(np.round(np.exp(rng.normal(*VALUE_LOGNORMAL[s])), 2)) for s in segment]
        self.activity = rng.gamma(0.8, 1.25, size=n)
        frame = pd.DataFrame(
            {
                "customer_id": [f"C{i + 1:05d}" for i in range(n)],
                "segment": segment,
                "market": [MARKETS[lang] for lang in language],
                "language": language,
                "customer_value": value,
            }
        )
        self._cum_all = np.cumsum(self.activity)
        self._small_business = np.flatnonzero(frame["segment"].to_numpy() == "small_business")
        self._cum_sb = np.cumsum(self.activity[self._small_business])
        return frame

    def customer(self, *, small_business: bool = False) -> int:
        if small_business:
            i = int(np.searchsorted(self._cum_sb, self.rng.random() * self._cum_sb[-1], side="right"))
            return int(self._small_business[min(i, len(self._small_business) - 1)])
        i = int(np.searchsorted(self._cum_all, self.rng.random() * self._cum_all[-1], side="right"))
        return min(i, len(self._cum_all) - 1)

    # --- time --------------------------------------------------------------------------------
    def _day_weights(self) -> np.ndarray:
        dates = [self.start_date + dt.timedelta(days=k) for k in range(self.days)]
        return np.array([WEEKDAY_FACTOR[d.weekday()] for d in dates])

    def timestamps(self, n: int) -> list[dt.datetime]:
        p = self._day_weights()
        day = self.rng.choice(self.days, size=n, p=p / p.sum())
        hour = self.rng.choice(np.arange(7, 23), size=n)
        second = self.rng.integers(0, 3600, size=n)
        base = dt.datetime.combine(self.start_date, dt.time())
        return [base + dt.timedelta(days=int(d), hours=int(h), seconds=int(s)) for d, h, s in zip(day, hour, second)]

    # --- themes ------------------------------------------------------------------------------
    def theme_weights(self, source_type: str, day_index: int) -> list[float]:
        """Volume weight of each theme on one day in one source: the spike and the emerging
        theme are planted here."""
        w = [t.weights[source_type] for t in THEMES]
        for j, theme in enumerate(THEMES):
            if theme.id == self.spike and day_index >= self.days - SPIKE_DAYS:
                w[j] *= SPIKE_FACTOR
            if theme.id == self.emerging:
                since = day_index - (self.days - EMERGING_DAYS)
                w[j] *= 0.0 if since < 0 else min(1.0, (since + 1) / 4)
        return w

    def draw_themes(self, source_type: str, day_index: int, k: int, exclude: tuple[str, ...] = ()) -> list[str]:
        w = self.theme_weights(source_type, day_index)
        for j, theme in enumerate(THEMES):
            if theme.id in exclude:
                w[j] = 0.0
        chosen: list[str] = []
        for _ in range(k):
            if sum(w) <= 0:
                break
            j = _draw_index(self.rng, list(itertools.accumulate(w)))
            chosen.append(THEMES[j].id)
            w[j] = 0.0
        return chosen

    def stage_for(self, themes: list[str]) -> str:
        if themes and self.rng.random() < 0.8:
            return THEME_BY_ID[themes[0]].journey_stage
        return _draw(self.rng, JOURNEY_STAGES)

    # --- one record per kind -----------------------------------------------------------------
    def _register(self, source_type: str, channel: str) -> str:
        if source_type == "review":
            return "review"
        if source_type == "survey":
            return "comment"
        if channel == "chat":
            return "chat"
        if channel in ("phone", "store"):
            return "note"
        return "email"

    def _contact(self, register: str, themes: list[str], language: str) -> str | None:
        rng = self.rng
        if register == "email" and rng.random() < 0.25:
            if {"refund_delay", "billing_error"} & set(themes) and rng.random() < 0.6:
                return "iban"
            kind = _draw(rng, CONTACT_MIX)
            if kind == "national_id" and "contact_national_id" not in BANKS[language].GENERIC:
                return "email"
            return kind
        if register == "chat" and rng.random() < 0.1:
            return _draw(rng, {"email": 0.5, "phone": 0.5})
        return None

    def _score(self, source_type: str, latent: float, themes: list[str]) -> tuple[int | None, str | None]:
        if source_type == "survey":
            score_type = _draw(self.rng, SURVEY_SCORE_TYPES)
        elif source_type == "review":
            score_type = "stars"
        elif source_type == "ticket" and self.rng.random() < 0.15:
            score_type = "csat"
        else:
            return None, None
        return score_from_latent(latent, score_type, themes), score_type

    def normal(self, created: dt.datetime, day_index: int, language: str, customer: int) -> SampleRecord:
        rng = self.rng
        source_type = _draw(rng, SOURCE_MIX)
        channel = _draw(rng, CHANNELS[source_type])
        k = int(_draw(rng, N_THEMES[source_type]))
        themes = self.draw_themes(source_type, day_index, k)
        latent = sum(THEME_BY_ID[t].score_shift for t in themes) + rng.normal(0.0, 0.8)
        composer = self.composers[language]
        if themes:
            sentences = [composer.core(rng, t) for t in themes]
            signs = {THEME_BY_ID[t].polarity for t in themes}
            tone = "positive" if signs == {"positive"} else "negative" if signs == {"negative"} else "neutral"
        else:
            # nobody files a complaint or a ticket to say all is well
            if source_type in ("complaint", "ticket"):
                tone = "negative" if source_type == "complaint" or latent < 0 else "neutral"
            else:
                tone = "negative" if latent < -0.6 else "positive" if latent > 0.4 else "neutral"
            sentences = [composer.generic(rng, tone)]
        register = self._register(source_type, channel)
        composed = composer.compose(
            rng,
            sentences,
            register=register,
            tone=tone,
            themes=themes or [None],
            contact=self._contact(register, themes, language),
        )
        score, score_type = self._score(source_type, latent, themes)
        tags = ["multi_theme"] if len(themes) > 1 else []
        if composed.typo:
            tags.append("typo")
        return SampleRecord(
            created,
            customer,
            source_type,
            channel,
            composed.text,
            score,
            score_type,
            self.stage_for(themes),
            themes,
            tags,
            composed.pii,
        )

    def silent(
        self, created: dt.datetime, language: str, customer: int, *, detractor: bool, stage: str | None
    ) -> SampleRecord:
        """A survey answer with a score and no words: empty or a "nothing to add" phrase."""
        rng = self.rng
        text = "" if rng.random() < 0.55 else pick(rng, BANKS[language].GENERIC["nothing"])
        if detractor:
            score, score_type = int(rng.choice(7, p=[0.08, 0.06, 0.1, 0.14, 0.18, 0.22, 0.22])), "nps"
            tags = ["silent", "silent_detractor"]
        else:
            score, score_type = self._score("survey", rng.normal(0.3, 0.8), [])
            tags = ["silent"]
        channel = _draw(rng, CHANNELS["survey"])
        return SampleRecord(
            created, customer, "survey", channel, text, score, score_type, stage or _draw(rng, JOURNEY_STAGES), [], tags
        )

    def polite_detractor(self, created: dt.datetime, language: str, customer: int) -> SampleRecord:
        """Low NPS, kind words: half thank the staff (a praise theme), half only say thanks."""
        rng = self.rng
        composer = self.composers[language]
        themes = ["staff_praise"] if rng.random() < 0.5 else []
        sentences = [composer.core(rng, "staff_praise")] if themes else []
        sentences.append(composer.generic(rng, "polite"))
        composed = composer.compose(
            rng,
            sentences,
            register="comment",
            tone="positive",
            themes=themes + [None] if themes else [None],
            typo_p=0.0,
        )
        score = int(rng.choice([2, 3, 4, 5, 6], p=[0.1, 0.2, 0.25, 0.25, 0.2]))
        return SampleRecord(
            created,
            customer,
            "survey",
            _draw(rng, CHANNELS["survey"]),
            composed.text,
            score,
            "nps",
            self.stage_for(themes),
            themes,
            ["polite_detractor"],
        )

    def at_risk_promoter(self, created: dt.datetime, language: str, customer: int) -> SampleRecord:
        """High NPS with a complaint inside ("I love this shop. The parcel came a week late.")."""
        rng = self.rng
        composer = self.composers[language]
        ordinary = [t.id for t in THEMES if t.polarity == "negative" and not t.role]
        theme = pick(rng, ordinary)
        sentences = [composer.generic(rng, "at_risk_opener"), composer.core(rng, theme)]
        composed = composer.compose(
            rng, sentences, register="comment", tone="neutral", themes=[None, theme], typo_p=0.0
        )
        return SampleRecord(
            created,
            customer,
            "survey",
            _draw(rng, CHANNELS["survey"]),
            composed.text,
            int(rng.choice([9, 10])),
            "nps",
            self.stage_for([theme]),
            [theme],
            ["at_risk_promoter"],
            composed.pii,
        )
