"""Readable descriptions of themes: keywords per language, a short label and real verbatims.

Keywords come from class-based TF-IDF (c-TF-IDF) computed *per language*: one theme's Polish units
are compared with the other themes' Polish units only, so a language's frequent words never pass for
a theme's keywords. Tokens keep every Unicode letter (ą, ł, ä, ö, ї, є), are lemmatised with
simplemma and filtered with spaCy's stop word lists. The label joins the most representative
keyphrases picked by maximal marginal relevance (MMR), so "delivery / late delivery" does not waste
the label on one idea twice.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from voc.schemas import SUPPORTED_LANGUAGES, UNASSIGNED_THEME

#: A word is a run of letters (any script), optionally joined by an apostrophe or hyphen
#: ("don't", "e-mail", "пам'ять"); digits and underscores never count as letters.
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")

#: Verbatims between these lengths read as quotes; shorter ones say little, longer ones bury it.
VERBATIM_MIN_CHARS = 20
VERBATIM_MAX_CHARS = 280

#: Language whose keyphrases label a theme when it has enough units in it.
LABEL_LANGUAGE = "en"


@cache
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words for ``language`` (lower case); the union of all supported ones otherwise.

    Unknown or undetected languages get the union, because a short text's language is often
    misjudged and a stray "und"/"the"/"że" must still not become a keyword.
    """
    languages = [language] if language in SUPPORTED_LANGUAGES else list(SUPPORTED_LANGUAGES)
    words: set[str] = set()
    for lang in languages:
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
        words |= {w.lower() for w in module.STOP_WORDS}
    return frozenset(words)


@lru_cache(maxsize=200_000)
def _lemma(token: str, language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        return token.lower()
    import simplemma

    # simplemma finds German nouns by their capital letter, so lemmatise before lower-casing
    return simplemma.lemmatize(token, lang=language).lower()


def analyze(text: str, language: str) -> list[str]:
    """Lemmatised unigrams and bigrams of ``text`` without stop words.

    Bigrams join only words that were adjacent in the text (never across a removed stop word), so
    "late delivery" is a phrase but "delivery ... courier" is not.
    """
    stops = stop_words(language)
    features: list[str] = []
    previous: str | None = None
    for token in _WORD.findall(text):
        lemma = _lemma(token, language)
        if len(token) < 2 or token.lower() in stops or len(lemma) < 2 or lemma in stops:
            previous = None
            continue
        features.append(lemma)
        if previous is not None and previous != lemma:
            features.append(f"{previous} {lemma}")
        previous = lemma
    return features


def class_tfidf(counts: sparse.spmatrix) -> np.ndarray:
    """c-TF-IDF of a (n_classes, n_terms) count matrix -> dense (n_classes, n_terms).

    ``tf`` is the term's share of the class's words; ``idf = log(1 + A / f)`` with ``A`` the mean
    number of words per class and ``f`` the term's count over all classes (BERTopic's definition).
    """
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    per_class = np.asarray(counts.sum(axis=1)).ravel()
    per_term = np.asarray(counts.sum(axis=0)).ravel()
    tf = counts.multiply(1.0 / np.where(per_class == 0, 1.0, per_class)[:, None])
    idf = np.log(1.0 + per_class.mean() / np.where(per_term == 0, 1.0, per_term))
    return np.asarray(tf.multiply(idf[None, :]).todense())


def _language_keywords(
    texts: Sequence[str], theme_ids: np.ndarray, language: str, *, n_keywords: int, min_units: int
) -> dict[int, list[tuple[str, float, set[int]]]]:
    """Top (phrase, score, unit rows) per theme for one language's units."""
    vectorizer = CountVectorizer(analyzer=lambda t: analyze(t, language), lowercase=False)
    try:
        doc_terms = vectorizer.fit_transform(texts).tocsc()
    except ValueError:  # every text was stop words only
        return {}
    vocabulary = vectorizer.get_feature_names_out()
    themes = np.unique(theme_ids)
    membership = sparse.csr_matrix(
        (np.ones(len(theme_ids)), (np.searchsorted(themes, theme_ids), np.arange(len(theme_ids)))),
        shape=(len(themes), len(theme_ids)),
    )
    class_counts = membership @ doc_terms
    scores = class_tfidf(class_counts)
    result: dict[int, list[tuple[str, float, set[int]]]] = {}
    for row, theme in enumerate(themes):
        rows = np.flatnonzero(theme_ids == theme)
        if len(rows) < min_units:
            continue
        # a phrase seen in one sentence only is an accident, unless the theme is tiny here
        doc_freq = np.asarray((doc_terms[rows] > 0).sum(axis=0)).ravel()
        eligible = doc_freq >= (2 if len(rows) >= 4 else 1)
        order = [t for t in np.lexsort((vocabulary, -scores[row])) if scores[row, t] > 0]
        terms = [t for t in order if eligible[t]][:n_keywords]
        if len(terms) < 2:  # nothing repeats (few, varied sentences): the best single ones will do
            terms = order[:n_keywords]
        picked = []
        for term in terms:
            units = set(rows[doc_terms[rows, term].nonzero()[0]].tolist())
            picked.append((str(vocabulary[term]), float(scores[row, term]), units))
        if picked:
            result[int(theme)] = picked
    return result


def extract_keywords(
    texts: Sequence[str],
    languages: Sequence[str],
    theme_ids: ArrayLike,
    *,
    n_keywords: int = 8,
    min_units: int = 2,
) -> dict[int, dict[str, list[tuple[str, float, set[int]]]]]:
    """Keywords per theme and language by c-TF-IDF computed within each language.

    Parameters
    ----------
    texts, languages, theme_ids : sequences of length n
        One entry per unit; units with ``theme_id == -1`` take part as nothing (ignored).
    n_keywords : int
        Keyphrases kept per theme and language.
    min_units : int
        A theme needs this many units in a language before that language lists keywords.

    Returns
    -------
    dict
        ``{theme_id: {language: [(phrase, score, {unit positions}), ...]}}``, best first; the unit
        positions index into ``texts`` and let callers measure how phrases co-occur.
    """
    frame = pd.DataFrame({"text": list(texts), "language": list(languages), "theme_id": np.asarray(theme_ids)})
    frame = frame[frame["theme_id"] != UNASSIGNED_THEME]
    out: dict[int, dict[str, list[tuple[str, float, set[int]]]]] = {}
    for language, group in frame.groupby("language", sort=True):
        positions = group.index.to_numpy()
        found = _language_keywords(
            group["text"].tolist(),
            group["theme_id"].to_numpy(),
            str(language),
            n_keywords=n_keywords,
            min_units=min_units,
        )
        for theme, phrases in found.items():
            out.setdefault(theme, {})[str(language)] = [
                (phrase, score, {int(positions[u]) for u in units}) for phrase, score, units in phrases
            ]
    return out


def _phrase_similarity(a: tuple[str, float, set[int]], b: tuple[str, float, set[int]]) -> float:
    """Redundancy of two keyphrases: shared words, or appearing in the same sentences."""
    words_a, words_b = set(a[0].split()), set(b[0].split())
    overlap = len(words_a & words_b) / min(len(words_a), len(words_b))
    units_a, units_b = a[2], b[2]
    together = len(units_a & units_b) / np.sqrt(len(units_a) * len(units_b)) if units_a and units_b else 0.0
    return float(max(overlap, together))


def mmr_select(
    candidates: Sequence[tuple[str, float, set[int]]],
    *,
    top_n: int = 2,
    diversity: float = 0.5,
    max_redundancy: float = 0.9,
) -> list[str]:
    """Pick up to ``top_n`` keyphrases by maximal marginal relevance.

    Each step takes the phrase maximising ``(1 - diversity) * relevance - diversity * redundancy``,
    where relevance is the c-TF-IDF score scaled to the best one and redundancy the largest
    :func:`_phrase_similarity` to a phrase already picked. A phrase at least ``max_redundancy``
    redundant (contained in one picked, or always said with it) is never added: it says nothing new.
    """
    candidates = list(candidates)
    if not candidates:
        return []
    best = max(score for _, score, _ in candidates) or 1.0
    chosen: list[int] = []
    remaining = list(range(len(candidates)))
    while remaining and len(chosen) < top_n:
        redundancy = {
            i: max((_phrase_similarity(candidates[i], candidates[j]) for j in chosen), default=0.0) for i in remaining
        }
        remaining = [i for i in remaining if redundancy[i] < max_redundancy]
        if not remaining:
            break
        pick = max(remaining, key=lambda i: ((1 - diversity) * candidates[i][1] / best - diversity * redundancy[i], -i))
        chosen.append(pick)
        remaining.remove(pick)
    return [candidates[i][0] for i in chosen]


def make_label(
    keywords: dict[str, list[tuple[str, float, set[int]]]],
    units_per_language: dict[str, int],
    *,
    top_n: int = 2,
) -> str:
    """A short label such as ``"late delivery / courier"``.

    English keyphrases are used when the theme has at least a few English units (the report's
    readers share English most often); otherwise the language with most units speaks for it.
    """
    if not keywords:
        return ""
    english = units_per_language.get(LABEL_LANGUAGE, 0)
    if LABEL_LANGUAGE in keywords and english >= min(3, max(units_per_language.values())):
        language = LABEL_LANGUAGE
    else:
        language = max(keywords, key=lambda lang: (units_per_language.get(lang, 0), lang == LABEL_LANGUAGE, lang))
    return " / ".join(mmr_select(keywords[language], top_n=top_n))


def _norm_text(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def select_verbatims(
    texts: Sequence[str],
    record_ids: Sequence[str],
    languages: Sequence[str],
    similarity: ArrayLike,
    *,
    n_per_language: int = 3,
    max_languages: int | None = None,
) -> list[dict[str, str]]:
    """Representative quotes of one theme: closest to its centroid, per language.

    Quotes are deduplicated by their words, at most one per record, and of readable length when the
    theme has such units (else the closest of any length); languages are listed by unit count.

    Parameters
    ----------
    texts, record_ids, languages, similarity : sequences of length n
        The theme's units and their cosine similarity to its centroid.

    Returns
    -------
    list of {"record_id", "language", "text"}
    """
    frame = pd.DataFrame(
        {
            "text": list(texts),
            "record_id": list(record_ids),
            "language": list(languages),
            "sim": np.asarray(similarity, float),
        }
    )
    if frame.empty:
        return []
    counts = frame["language"].value_counts()
    order = sorted(counts.index, key=lambda lang: (-counts[lang], lang))
    if max_languages is not None:
        order = order[:max_languages]
    quotes: list[dict[str, str]] = []
    for language in order:
        group = frame[frame["language"] == language].sort_values(
            ["sim", "record_id", "text"], ascending=[False, True, True]
        )
        length = group["text"].str.len()
        readable = group[(length >= VERBATIM_MIN_CHARS) & (length <= VERBATIM_MAX_CHARS)]
        pool = readable if len(readable) >= min(n_per_language, len(group)) else group
        seen_texts: set[str] = set()
        seen_records: set[str] = set()
        for row in pool.itertuples(index=False):
            key = _norm_text(row.text)
            if not key or key in seen_texts or row.record_id in seen_records:
                continue
            seen_texts.add(key)
            seen_records.add(row.record_id)
            quotes.append({"record_id": str(row.record_id), "language": str(language), "text": str(row.text)})
            if len(seen_texts) >= n_per_language:
                break
    return quotes


def describe_themes(
    units: pd.DataFrame,
    theme_ids: ArrayLike,
    similarity: ArrayLike,
    *,
    only: Iterable[int] | None = None,
    n_keywords: int = 8,
    n_verbatims: int = 3,
) -> pd.DataFrame:
    """Label, keywords and verbatims of every theme in ``theme_ids``.

    Parameters
    ----------
    units : DataFrame
        Columns ``record_id``, ``text``, ``language`` (n rows, see ``UNIT_COLUMNS``).
    theme_ids : sequence of int, length n
        Theme of each unit (-1 unassigned). All themes take part in c-TF-IDF, so a theme's
        keywords are what sets it apart from the others.
    similarity : sequence of float, length n
        Each unit's cosine to its theme's centroid (ranks the verbatims).
    only : iterable of int, optional
        Describe only these themes (the others still serve as background).

    Returns
    -------
    DataFrame with columns ``theme_id``, ``generated_label``, ``keywords`` (JSON
    ``{language: [phrase, ...]}``) and ``verbatims`` (JSON ``[{record_id, language, text}]``).
    """
    theme_ids = np.asarray(theme_ids, dtype=np.int64)
    similarity = np.asarray(similarity, dtype=np.float64)
    texts = units["text"].astype(str).tolist()
    languages = units["language"].fillna("und").astype(str).tolist()
    keywords = extract_keywords(texts, languages, theme_ids, n_keywords=n_keywords)
    wanted = sorted(set(theme_ids[theme_ids != UNASSIGNED_THEME].tolist()) if only is None else set(only))
    bare = [t for t in wanted if t not in keywords and np.any(theme_ids == t)]
    if bare:
        # a theme spread thinly over many languages (one sentence each) still deserves words
        thin = extract_keywords(texts, languages, theme_ids, n_keywords=n_keywords, min_units=1)
        keywords.update({t: thin[t] for t in bare if t in thin})
    rows = []
    for theme in wanted:
        members = np.flatnonzero(theme_ids == theme)
        found = keywords.get(theme, {})
        per_language = pd.Series([languages[i] for i in members]).value_counts().to_dict() if len(members) else {}
        verbatims = select_verbatims(
            [texts[i] for i in members],
            units["record_id"].astype(str).to_numpy()[members].tolist(),
            [languages[i] for i in members],
            similarity[members],
            n_per_language=n_verbatims,
        )
        rows.append(
            {
                "theme_id": int(theme),
                "generated_label": make_label(found, per_language) or f"theme {theme}",
                "keywords": json.dumps(
                    {lang: [p for p, _, _ in v] for lang, v in sorted(found.items())}, ensure_ascii=False
                ),
                "verbatims": json.dumps(verbatims, ensure_ascii=False),
            }
        )
    return pd.DataFrame(rows, columns=["theme_id", "generated_label", "keywords", "verbatims"])
