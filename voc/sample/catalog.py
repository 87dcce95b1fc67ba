"""The product's themes as the sample generator plants them: names, polarity and behaviour.

The catalogue is the single source of truth for what a theme *does* in the sample (how often it is
raised per source, how it moves scores and churn, which journey stage it belongs to). The phrasings
live in :mod:`voc.sample.phrases`, one module per language, so a theme means the same thing in
every language while its words differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Polarity = Literal["negative", "positive"]

#: Source types of the sample, in the order used for volume weights.
SOURCE_TYPES: Final[tuple[str, ...]] = ("review", "complaint", "ticket", "survey")


@dataclass(frozen=True)
class ThemeSpec:
    """How one planted theme behaves.

    Attributes
    ----------
    id : str
        Stable snake_case key used in ``planted.json`` and the phrase banks.
    names : dict[str, str]
        Human name per language (pl, fi, uk, en, de).
    polarity : {"negative", "positive"}
        Praise themes push scores up, the rest down.
    journey_stage : str
        Stage the theme usually belongs to; a record's stage follows its primary theme.
    weights : dict[str, float]
        Relative volume per source type (0 = never raised there).
    score_shift : float
        Shift of the latent satisfaction (in units of its noise) when the theme is raised.
    churn_multiplier : float
        Factor on the customer's churn probability when the customer raised the theme.
    role : str
        Planted scenario the theme carries ("" for an ordinary theme).
    """

    id: str
    names: dict[str, str]
    polarity: Polarity
    journey_stage: str
    weights: dict[str, float]
    score_shift: float
    churn_multiplier: float
    role: str = ""


def _w(review: float, complaint: float, ticket: float, survey: float) -> dict[str, float]:
    return dict(zip(SOURCE_TYPES, (review, complaint, ticket, survey)))


THEMES: Final[tuple[ThemeSpec, ...]] = (
    ThemeSpec(
        "late_delivery",
        {
            "en": "Late delivery",
            "pl": "Opóźniona dostawa",
            "fi": "Myöhästynyt toimitus",
            "uk": "Запізнення доставки",
            "de": "Verspätete Lieferung",
        },
        "negative",
        "delivery",
        _w(14, 16, 14, 13),
        -1.0,
        1.25,
    ),
    ThemeSpec(
        "damaged_parcel",
        {
            "en": "Damaged parcel",
            "pl": "Uszkodzona przesyłka",
            "fi": "Vaurioitunut paketti",
            "uk": "Пошкоджена посилка",
            "de": "Beschädigtes Paket",
        },
        "negative",
        "delivery",
        _w(8, 10, 8, 6),
        -1.0,
        1.2,
    ),
    ThemeSpec(
        "hotline_service",
        {
            "en": "Rude or slow hotline",
            "pl": "Niegrzeczna lub wolna infolinia",
            "fi": "Tyly tai hidas puhelinpalvelu",
            "uk": "Груба або повільна гаряча лінія",
            "de": "Unfreundliche oder langsame Hotline",
        },
        "negative",
        "support",
        _w(7, 12, 12, 11),
        -1.1,
        1.5,
    ),
    ThemeSpec(
        "app_crash",
        {
            "en": "App crashes and login after update",
            "pl": "Awarie aplikacji i logowania po aktualizacji",
            "fi": "Sovellus kaatuu päivityksen jälkeen",
            "uk": "Збої застосунку після оновлення",
            "de": "App-Abstürze nach dem Update",
        },
        "negative",
        "usage",
        _w(3, 2, 5, 3),
        -1.0,
        1.2,
        role="spike",
    ),
    ThemeSpec(
        "billing_error",
        {
            "en": "Billing errors and double charges",
            "pl": "Błędy w rozliczeniach i podwójne obciążenia",
            "fi": "Laskutusvirheet ja tuplaveloitukset",
            "uk": "Помилки в рахунках і подвійні списання",
            "de": "Abrechnungsfehler und Doppelbuchungen",
        },
        "negative",
        "billing",
        _w(4, 12, 10, 7),
        -1.2,
        1.7,
    ),
    ThemeSpec(
        "refund_delay",
        {
            "en": "Refund delays",
            "pl": "Opóźnione zwroty pieniędzy",
            "fi": "Viivästyneet hyvitykset",
            "uk": "Затримка повернення коштів",
            "de": "Verzögerte Rückerstattung",
        },
        "negative",
        "support",
        _w(5, 11, 9, 7),
        -1.1,
        1.4,
    ),
    ThemeSpec(
        "price_increase",
        {
            "en": "Price increase",
            "pl": "Podwyżka cen",
            "fi": "Hinnankorotus",
            "uk": "Підвищення цін",
            "de": "Preiserhöhung",
        },
        "negative",
        "renewal",
        _w(7, 6, 3, 10),
        -0.9,
        2.0,
    ),
    ThemeSpec(
        "return_process",
        {
            "en": "Complicated return process",
            "pl": "Skomplikowany proces zwrotu",
            "fi": "Hankala palautusprosessi",
            "uk": "Складна процедура повернення",
            "de": "Umständliche Rücksendung",
        },
        "negative",
        "support",
        _w(6, 7, 8, 8),
        -0.9,
        1.2,
    ),
    ThemeSpec(
        "staff_praise",
        {
            "en": "Friendly staff",
            "pl": "Miła obsługa",
            "fi": "Ystävällinen henkilökunta",
            "uk": "Привітний персонал",
            "de": "Freundliches Personal",
        },
        "positive",
        "support",
        _w(10, 1, 3, 12),
        1.0,
        0.7,
    ),
    ThemeSpec(
        "fast_delivery",
        {
            "en": "Fast delivery",
            "pl": "Szybka dostawa",
            "fi": "Nopea toimitus",
            "uk": "Швидка доставка",
            "de": "Schnelle Lieferung",
        },
        "positive",
        "delivery",
        _w(14, 0.5, 1, 12),
        1.0,
        0.75,
    ),
    ThemeSpec(
        "account_security",
        {
            "en": "Account security and data privacy",
            "pl": "Bezpieczeństwo konta i ochrona danych",
            "fi": "Tilin tietoturva ja tietosuoja",
            "uk": "Безпека акаунта й захист даних",
            "de": "Kontosicherheit und Datenschutz",
        },
        "negative",
        "usage",
        _w(1.0, 1.6, 1.6, 3.6),
        -4.0,
        5.0,
        role="low_volume_high_impact",
    ),
    ThemeSpec(
        "warranty_claim",
        {
            "en": "Warranty claims and repairs",
            "pl": "Reklamacje gwarancyjne i naprawy",
            "fi": "Takuuasiat ja korjaukset",
            "uk": "Гарантійні претензії та ремонт",
            "de": "Garantiefälle und Reparaturen",
        },
        "negative",
        "support",
        _w(2, 15, 14, 0),
        -1.0,
        1.3,
        role="blind_spot",
    ),
    ThemeSpec(
        "parcel_locker",
        {
            "en": "Parcel locker problems",
            "pl": "Problemy z automatami paczkowymi",
            "fi": "Pakettiautomaattien ongelmat",
            "uk": "Проблеми з поштоматами",
            "de": "Probleme mit Paketautomaten",
        },
        "negative",
        "delivery",
        _w(10, 10, 12, 9),
        -0.6,
        1.2,
        role="emerging",
    ),
)

THEME_IDS: Final[tuple[str, ...]] = tuple(t.id for t in THEMES)
THEME_BY_ID: Final[dict[str, ThemeSpec]] = {t.id: t for t in THEMES}


def theme_with_role(role: str) -> ThemeSpec:
    """The theme that carries a planted scenario (``spike``, ``emerging``, ...)."""
    for theme in THEMES:
        if theme.role == role:
            return theme
    raise KeyError(f"no theme carries the role {role!r}")
