"""The sample looks like the feedback a retailer really exports."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from voc.sample import CUSTOMER_COLUMNS, FEEDBACK_COLUMNS, THEMES
from voc.sample.pii import hetu_check_char, iban_check_digits, luhn_check_digit, pesel_check_digit
from voc.schemas import SCORE_SCALES, SUPPORTED_LANGUAGES

DATE = "%Y-%m-%dT%H:%M:%S"


def _dates(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["created_at"], format=DATE, errors="coerce")


def test_columns_size_and_window(sample):
    frame, planted = sample
    assert list(frame.columns) == list(FEEDBACK_COLUMNS)
    assert len(frame) >= 3000
    assert frame["feedback_id"].is_unique
    dates = _dates(frame).dropna()
    assert (dates.max() - dates.min()).days >= 85
    assert set(frame["source_type"]) == {"review", "complaint", "ticket", "survey"}
    assert set(frame["channel"]) == {"email", "chat", "phone", "app", "web", "store"}
    assert set(frame["journey_stage"]) == {
        "purchase",
        "delivery",
        "onboarding",
        "usage",
        "support",
        "billing",
        "renewal",
        "cancellation",
    }
    assert list(planted["customers"].columns) == list(CUSTOMER_COLUMNS)


def test_all_five_languages_with_their_own_letters(sample):
    frame, _ = sample
    shares = frame["language"].value_counts(normalize=True)
    assert set(shares.index) == set(SUPPORTED_LANGUAGES)
    assert shares.min() > 0.12
    text = {lang: " ".join(frame.loc[frame["language"] == lang, "text"]) for lang in SUPPORTED_LANGUAGES}
    assert re.search("ą", text["pl"]) and re.search("ł", text["pl"]) and re.search("ę", text["pl"])
    assert re.search("ä", text["fi"]) and re.search("ö", text["fi"])
    assert all(ch in text["uk"] for ch in "іїє")
    assert re.search("ü", text["de"]) and re.search("ß", text["de"])
    # Ukrainian records are written in Cyrillic, not transliterated
    uk = frame.loc[(frame["language"] == "uk") & (frame["text"].str.len() > 20), "text"]
    assert uk.str.contains("[а-яіїєґ]", case=False).mean() > 0.98


def test_scores_are_on_their_scales_except_the_planted_bad_rows(sample):
    frame, planted = sample
    bad_score = {b["feedback_id"] for b in planted["bad_rows"] if b["column"] == "score"}
    assert len(bad_score) >= 2
    scored = frame.dropna(subset=["score"])
    for _, row in scored.iterrows():
        low, high = SCORE_SCALES[row["score_type"]]
        inside = low <= row["score"] <= high
        assert inside == (row["feedback_id"] not in bad_score), row["feedback_id"]
    surveys = frame[frame["source_type"] == "survey"]
    assert surveys["score"].notna().all()
    assert set(surveys["score_type"]) == {"nps", "csat", "ces"}
    assert set(frame.loc[frame["source_type"] == "review", "score_type"]) == {"stars"}
    assert frame.loc[frame["source_type"] == "complaint", "score"].isna().all()


def test_bad_dates_and_empty_rows_are_exactly_the_planted_ones(sample):
    frame, planted = sample
    unparseable = set(frame.loc[_dates(frame).isna(), "feedback_id"])
    assert unparseable == {b["feedback_id"] for b in planted["bad_rows"] if b["column"] == "created_at"}
    empty_unscored = set(frame.loc[(frame["text"] == "") & frame["score"].isna(), "feedback_id"])
    assert empty_unscored == {b["feedback_id"] for b in planted["bad_rows"] if b["column"] == "text"}
    assert len(unparseable) >= 2 and len(empty_unscored) >= 2


def test_duplicates_repeat_text_for_the_same_customer(sample):
    frame, planted = sample
    rows = frame.set_index("feedback_id")
    assert len(planted["duplicates"]) >= 10
    for pair in planted["duplicates"]:
        a, b = rows.loc[pair["feedback_id"]], rows.loc[pair["duplicate_of"]]
        assert a["text"] == b["text"] and a["text"]
        assert a["customer_id"] == b["customer_id"] and a["source_type"] == b["source_type"]
        assert a["created_at"] != b["created_at"]


def test_the_only_exact_repeats_are_the_planted_duplicates(sample):
    frame, planted = sample
    texted = frame[frame["text"] != ""]
    words = texted["text"].map(lambda t: " ".join(unicodedata.normalize("NFC", t).lower().split()))
    repeated = texted[
        words.duplicated(keep="first").to_numpy()
        & texted.assign(w=words).duplicated(["customer_id", "source_type", "w"], keep="first").to_numpy()
    ]
    assert set(repeated["feedback_id"]) == {d["feedback_id"] for d in planted["duplicates"]}


def test_scores_follow_theme_sentiment(sample, truth):
    frame, _ = sample
    nps_rows = frame[(frame["score_type"] == "nps") & (frame["text"] != "")]
    polarity = {t.id: t.polarity for t in THEMES}
    praise, complaint = [], []
    for fid, score in zip(nps_rows["feedback_id"], nps_rows["score"]):
        rec = truth[fid]
        kinds = {polarity[t] for t in rec["themes"]}
        if set(rec["tags"]) & {"polite_detractor", "at_risk_promoter", "bad_row"}:
            continue
        if kinds == {"positive"}:
            praise.append(score)
        elif kinds == {"negative"}:
            complaint.append(score)
    assert np.mean(praise) > 8.5 and np.mean(complaint) < 6.5
    # noise, not a lookup table: some complainers still give a 7 or more
    assert 0.05 < np.mean(np.asarray(complaint) >= 7) < 0.5


def test_multi_theme_records_and_personal_data_are_present(sample, truth):
    frame, _ = sample
    multi = [fid for fid, r in truth.items() if len(r["themes"]) >= 2]
    assert len(multi) / len(frame) > 0.1
    assert any(len(r["themes"]) == 3 for r in truth.values())
    texts = frame.set_index("feedback_id")["text"]
    ibans = [fid for fid, r in truth.items() if "iban" in r["pii"]]
    emails = [fid for fid, r in truth.items() if "email" in r["pii"]]
    phones = [fid for fid, r in truth.items() if "phone" in r["pii"]]
    assert len(ibans) >= 5 and len(emails) >= 10 and len(phones) >= 10
    for fid in emails:
        assert re.search(r"[\w.]+@[\w.]+\.\w+", texts[fid])
    for fid in ibans:
        found = re.search(r"\b([A-Z]{2})(\d{2})((?:\s?[A-Z0-9]){10,30})", texts[fid])
        assert found, texts[fid]
        bban = found.group(3).replace(" ", "")
        assert iban_check_digits(found.group(1), bban) == found.group(2)
    assert texts.str.contains("\n").sum() > 20  # e-mails keep their line breaks


def test_check_digits_match_published_examples():
    assert iban_check_digits("DE", "370400440532013000") == "89"
    assert iban_check_digits("GB", "WEST12345698765432") == "82"
    assert luhn_check_digit("411111111111111") == "1"
    assert pesel_check_digit("4405140135") == "9"
    assert hetu_check_char("131052", "308") == "T"


def test_cards_and_national_ids_are_valid_where_planted(sample, truth):
    frame, _ = sample
    texts = frame.set_index("feedback_id")["text"]
    cards = [fid for fid, r in truth.items() if "card" in r["pii"]]
    ids = [fid for fid, r in truth.items() if "national_id" in r["pii"]]
    assert len(cards) >= 3 and len(ids) >= 1
    for fid in cards:
        number = re.search(r"\b4\d{3}(?: \d{4}){3}\b", texts[fid]).group().replace(" ", "")
        assert luhn_check_digit(number[:-1]) == number[-1]
    for fid in ids:
        pesel = re.search(r"\b\d{11}\b", texts[fid])
        hetu = re.search(r"\b(\d{6})-(\d{3})([0-9A-Y])\b", texts[fid])
        assert pesel or hetu, texts[fid]
        if pesel:
            assert pesel_check_digit(pesel.group()[:10]) == pesel.group()[10]
        else:
            assert hetu_check_char(hetu.group(1), hetu.group(2)) == hetu.group(3)


def test_customers_include_non_responders_who_churn_more(sample):
    frame, planted = sample
    customers = planted["customers"]
    assert customers["customer_id"].is_unique
    responded = customers.set_index("customer_id")["responded"]
    assert responded[frame["customer_id"].unique()].all()
    assert (~customers["responded"]).sum() > 0.2 * len(customers)
    churn = customers.groupby("responded")["churned"].mean()
    assert churn[False] > churn[True]
    assert (customers["customer_value"] > 0).all()
    by_segment = customers.groupby("segment")["customer_value"].median()
    assert by_segment["small_business"] > by_segment["consumer"]
