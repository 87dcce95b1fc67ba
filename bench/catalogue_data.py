"""Real labelled feedback, mapped by hand onto catalogue theme ids, for ``bench.catalogue_match``.

Every loader returns a frame ``text, language, label, allowed`` (``allowed``: the catalogue ids a
unit with that label may correctly take, a tuple; empty for texts that carry no catalogue theme, such
as the off-topic sib200 sentences) or None when the data set is not on this machine. Samples are
capped per label (seeded) so each set embeds in a few minutes on a small CPU.

The mapping tables are the only hand-made part: a label maps to every catalogue theme that
honestly describes it (a "Bad Flight" tweet may be about seats, food or a dirty cabin), so precision
counts a unit as right when it takes any of them.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pandas as pd

from bench.common import shared_data

SEED = 13
COLUMNS = ["text", "language", "label", "allowed"]

STAFF = ("rude-staff", "praise-staff", "staff-knowledge")

#: Twitter US Airline Sentiment ``negativereason`` -> catalogue ids ("Can't Tell" is left out).
AIRLINE_REASONS: dict[str, tuple[str, ...]] = {
    "Customer Service Issue": (*STAFF, "hotline-waits", "no-reply", "complaint-ignored", "slow-service"),
    "Late Flight": ("punctuality",),
    "Cancelled Flight": ("cancelled-trip",),
    "Lost Luggage": ("luggage",),
    "Damaged Luggage": ("luggage",),
    "Bad Flight": ("seat-comfort", "food-quality", "cleanliness", "connectivity", "crowding", "temperature"),
    "Flight Booking Problems": ("booking-problems", "website-usability", "app-crashes", "payment-failed"),
    "Flight Attendant Complaints": STAFF,
    "longlines": ("queues",),
}

#: SemEval-2016 restaurant aspect categories -> catalogue ids (RESTAURANT#MISCELLANEOUS left out).
SEMEVAL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "FOOD#QUALITY": ("food-quality",),
    "DRINKS#QUALITY": ("food-quality",),
    "SERVICE#GENERAL": (*STAFF, "slow-service"),
    "AMBIENCE#GENERAL": ("atmosphere",),
    "FOOD#PRICES": ("price-value", "price-increase"),
    "DRINKS#PRICES": ("price-value", "price-increase"),
    "RESTAURANT#PRICES": ("price-value", "price-increase"),
    "FOOD#STYLE_OPTIONS": ("choice-availability", "food-quality"),
    "DRINKS#STYLE_OPTIONS": ("choice-availability", "food-quality"),
    "LOCATION#GENERAL": ("location",),
    "RESTAURANT#GENERAL": ("recommendation",),
}

#: GermEval 2017 (Deutsche Bahn) ``Category#Sub`` -> catalogue ids ("Allgemein", "Streckennetz",
#: "Design" and a few rare ones have no catalogue theme and are left out).
GERMEVAL_ASPECTS: dict[str, tuple[str, ...]] = {
    "Zugfahrt#Pünktlichkeit": ("punctuality",),
    "Zugfahrt#Anschlusserreichung": ("punctuality", "cancelled-trip"),
    "Zugfahrt#Fahrtzeit_und_Schnelligkeit": ("punctuality",),
    "Zugfahrt#Technische_Schäden_und_Störungen_am_Zug": ("outage", "punctuality", "cancelled-trip"),
    "Sonstige_Unregelmässigkeiten#Haupt": ("punctuality", "cancelled-trip", "outage"),
    "Atmosphäre#Haupt": ("atmosphere",),
    "Atmosphäre#Lautstärke": ("atmosphere",),
    "Atmosphäre#Temperatur": ("temperature",),
    "Atmosphäre#Geruch": ("atmosphere", "cleanliness"),
    "Atmosphäre#Sauberkeit_allgemein": ("cleanliness",),
    "Toiletten#Haupt": ("cleanliness",),
    "Sicherheit#Haupt": ("safety",),
    "Ticketkauf#Haupt": ("booking-problems", "price-value", "price-increase", "hidden-fees"),
    "Auslastung_und_Platzangebot#Haupt": ("crowding",),
    "Informationen#Haupt": ("information",),
    "Service_und_Kundenbetreuung#Haupt": (*STAFF, "hotline-waits", "no-reply", "complaint-ignored", "problem-solved"),
    "Service_und_Kundenbetreuung#Zugbetreuung": STAFF,
    "Connectivity#WLAN_und_Internet": ("connectivity",),
    "Connectivity#ICE_Portal": ("connectivity",),
    "Barrierefreiheit#Haupt": ("accessibility",),
    "DB_App_und_Website#Haupt": ("app-crashes", "website-usability", "login-problems", "information"),
    "DB_App_und_Website#Informationen_DB_App_und_Website": ("website-usability", "information"),
    "DB_App_und_Website#Störungen_DB_App_und_Website": ("app-crashes", "website-usability", "outage"),
    "Komfort_und_Ausstattung#Haupt": ("seat-comfort", "crowding"),
    "Komfort_und_Ausstattung#Sitzkomfort": ("seat-comfort",),
    "Komfort_und_Ausstattung#Reservierung": ("booking-problems", "crowding"),
    "Gastronomisches_Angebot#Haupt": ("food-quality", "choice-availability"),
    "Gepäck#Haupt": ("luggage",),
    "Image#Haupt": ("trust-reputation",),
    "Image#Marketing": ("trust-reputation", "loyalty-promotions"),
}

#: PolEmo hotel aspect spans (the ASPEKT words, lower-cased) -> catalogue ids, by word stem.
POLEMO_ASPECTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("food", r"śniadan|sniadan|jedzeni|posił|posil|kuchni|obiad|kolacj|restaurac|dani[ae]|potraw", ("food-quality",)),
    ("staff", r"obsług|obslug|personel|recepcj|pracowni|kelner|załog|zalog", STAFF),
    ("room", r"pok[oó]j|pokoj|łóżk|lozk|łazienk|lazienk|materac|apartament", ("room-comfort",)),
    ("location", r"lokalizac|położeni|polozeni|okolic|dojazd|widok", ("location",)),
    ("cleanliness", r"czysto|sprząt|sprzat|brud", ("cleanliness",)),
    ("price", r"^cen[ay]?$|koszt|drogo", ("price-value", "price-increase")),
    ("parking", r"parking", ("parking",)),
    ("wifi", r"wifi|wi-fi|internet", ("connectivity",)),
    ("noise", r"hałas|halas|cisz|głośn|glosn|klimat|atmosfer", ("atmosphere",)),
]

#: Skytrax review sentences have no per-sentence label: a sentence naming exactly one of these
#: subjects (word patterns, lower-cased) is labelled with it. A keyword label is weaker than a human
#: one, but the matcher must still find the theme from the meaning of the whole sentence.
SKYTRAX_SUBJECTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("seat", r"\bseats?\b|legroom|leg room|recline", ("seat-comfort", "crowding")),
    ("food", r"\bfood\b|\bmeals?\b|breakfast|\bdrinks?\b", ("food-quality", "choice-availability")),
    ("crew", r"\bcrew\b|\bstaff\b|attendants?\b|\bstewardess", STAFF),
    ("delay", r"\bdelay|\blate\b|on time|\bpunctual", ("punctuality",)),
    ("clean", r"\bclean|\bdirty\b|\bfilthy\b", ("cleanliness",)),
]

SIB_LANGUAGES = {"pol_Latn": "pl", "fin_Latn": "fi", "ukr_Cyrl": "uk", "deu_Latn": "de", "eng_Latn": "en"}


def _cap(df: pd.DataFrame, per_label: int) -> pd.DataFrame:
    parts = [g.sample(min(len(g), per_label), random_state=SEED) for _, g in df.groupby("label", sort=True)]
    return pd.concat(parts, ignore_index=True)[COLUMNS]


#: The published airline tweets had some words replaced by label names ("Cancelled Flightled" for
#: "Cancelled", "Late Flight" for "late"); undone so the label does not leak into the text.
AIRLINE_TEXT_REPAIRS = {"Cancelled Flight": "Cancel", "Late Flight": "late", "Flight Booking Problems": "booking"}


def load_airline(per_label: int = 80) -> pd.DataFrame | None:
    """Negative airline tweets with a known reason; @handles and links removed (they name the airline)."""
    path = shared_data("airline_tweets_en", "Tweets.csv")
    if path is None:
        return None
    df = pd.read_csv(path)
    df = df[df["negativereason"].isin(list(AIRLINE_REASONS))].copy()
    for damaged, original in AIRLINE_TEXT_REPAIRS.items():
        df["text"] = df["text"].str.replace(damaged, original, regex=False)
    df["text"] = df["text"].str.replace(r"@\w+|https?://\S+", " ", regex=True).str.split().str.join(" ")
    df = df[df["text"].str.len() >= 15]
    df["label"] = df["negativereason"]
    df["allowed"] = df["label"].map(AIRLINE_REASONS)
    df["language"] = "en"
    return _cap(df, per_label)


def load_semeval(per_label: int = 80) -> pd.DataFrame | None:
    """SemEval-2016 restaurant sentences (train + test) with exactly one mapped aspect category."""
    rows = []
    for name in ("ABSA16_Restaurants_Train_SB1_v2.xml", "EN_REST_SB1_TEST_gold.xml"):
        path = shared_data("semeval16_restaurants_en", name)
        if path is None:
            return None
        for sentence in ET.parse(path).getroot().iter("sentence"):
            categories = {o.get("category") for o in sentence.iter("Opinion")}
            if len(categories) == 1 and (category := categories.pop()) in SEMEVAL_CATEGORIES:
                rows.append((sentence.findtext("text"), category))
    df = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text")
    df["allowed"] = df["label"].map(SEMEVAL_CATEGORIES)
    df["language"] = "en"
    return _cap(df, per_label)


def load_germeval(per_label: int = 60) -> pd.DataFrame | None:
    """GermEval 2017 dev: relevant rows with exactly one mapped aspect, at most 400 characters."""
    path = shared_data("germeval2017", "dev.tsv")
    if path is None:
        return None
    df = pd.read_csv(path, sep="\t").dropna(subset=["aspects", "text"])
    aspects = df["aspects"].str.split().map(lambda items: {a.rsplit(":", 1)[0] for a in items})
    df = df[(aspects.str.len() == 1) & (df["text"].str.len() <= 400)].copy()
    df["label"] = aspects[df.index].map(lambda s: next(iter(s)))
    df = df[df["label"].isin(list(GERMEVAL_ASPECTS))]
    df["text"] = df["text"].str.replace(r"@\w+|https?://\S+", " ", regex=True).str.split().str.join(" ")
    df["allowed"] = df["label"].map(GERMEVAL_ASPECTS)
    df["language"] = "de"
    return _cap(df.drop_duplicates("text"), per_label)


def _polemo_label(text: str, entities: list[dict]) -> str | None:
    labels = set()
    for entity in entities:
        if entity.get("label") != "ASPEKT":
            continue
        span = text[entity["start_offset"] : entity["end_offset"]].lower()
        hits = [name for name, pattern, _ in POLEMO_ASPECTS if re.search(pattern, span)]
        if not hits:
            return None  # an aspect with no catalogue theme: the sentence is left out
        labels.add(hits[0])
    return labels.pop() if len(labels) == 1 else None


def load_polemo(per_label: int = 70) -> pd.DataFrame | None:
    """PolEmo 2.0 hotel sentences whose aspect spans all map to one catalogue theme group."""
    path = shared_data("polemo_hotels_pl", "main_all.jsonl")
    if path is None:
        return None
    allowed = {name: ids for name, _, ids in POLEMO_ASPECTS}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record["text"].rsplit(" __label__", 1)[0]
        label = _polemo_label(text, record.get("entities") or [])
        if label is not None and len(text) >= 15:
            rows.append((text, label))
    df = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text")
    df["allowed"] = df["label"].map(allowed)
    df["language"] = "pl"
    return _cap(df, per_label)


def load_sib200(per_language: int = 100, *, splits: tuple[str, ...] = ("test", "dev")) -> pd.DataFrame | None:
    """Off-topic sentences (FLORES news/encyclopaedia), each ``index_id`` given to one language only.

    The ``train`` split is kept apart for tuning (``load_sib200_tuning``); reports use test and dev.
    """
    frames = []
    for i, (folder, language) in enumerate(SIB_LANGUAGES.items()):
        paths = [shared_data("sib200", folder, f"{split}.tsv") for split in splits]
        if any(path is None for path in paths):
            return None
        df = pd.concat([pd.read_csv(path, sep="\t") for path in paths if path is not None])
        df = df[df["index_id"] % len(SIB_LANGUAGES) == i].head(per_language)
        frames.append(pd.DataFrame({"text": df["text"], "language": language, "label": "off-topic"}))
    out = pd.concat(frames, ignore_index=True)
    out["allowed"] = [() for _ in range(len(out))]
    return out[COLUMNS]


def load_sib200_tuning(per_language: int = 40) -> pd.DataFrame | None:
    """Off-topic sentences from sib200 ``train`` only: the off-topic part of the tuning set."""
    return load_sib200(per_language, splits=("train",))


def load_skytrax(per_label: int = 60) -> pd.DataFrame | None:
    """Sentences of Skytrax seat reviews that name exactly one subject of ``SKYTRAX_SUBJECTS``."""
    from voc.themes.segment import split_text

    path = shared_data("skytrax_lounge_seat_en", "seat.csv")
    if path is None:
        return None
    allowed = {name: ids for name, _, ids in SKYTRAX_SUBJECTS}
    rows = []
    for review in pd.read_csv(path)["content"].dropna():
        for sentence in split_text(str(review), "en"):
            hits = [name for name, pattern, _ in SKYTRAX_SUBJECTS if re.search(pattern, sentence.lower())]
            if len(hits) == 1 and 20 <= len(sentence) <= 300:
                rows.append((sentence, hits[0]))
    df = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text")
    df["allowed"] = df["label"].map(allowed)
    df["language"] = "en"
    return _cap(df, per_label)


LOADERS = {
    "airline_en": load_airline,
    "semeval_restaurants_en": load_semeval,
    "germeval_db_de": load_germeval,
    "polemo_hotels_pl": load_polemo,
    "skytrax_seats_en": load_skytrax,
    "sib200_offtopic": load_sib200,
}
