"""Readable descriptions of themes: keywords per language, a short label and real verbatims.

Keywords come from class-based TF-IDF (c-TF-IDF) computed *per language*: one theme's Polish units
are compared with the other themes' Polish units only, so a language's frequent words never pass for
a theme's keywords. Tokens keep every Unicode letter (ą, ł, ä, ö, ї, є), are lemmatised with
simplemma and filtered with spaCy's stop word lists.

The label is for a person: it is built from keyphrases of one to three words (c-TF-IDF over lemma
n-grams that never start or end with a stop word, shown in their most frequent written form, so
"opóźniona dostawa" rather than "opóźniony dostawa"), real collocations favoured over single words,
diversified by maximal marginal relevance (MMR) so "delivery / late delivery" does not waste the
label on one idea twice, and every part checked by :mod:`voc.themes.label_rules` (no stop words,
numbers, dates, greetings, placeholders, URLs, generic or tone-only words). When nothing passes, the
theme's most central verbatim, shortened to a few content words, names it instead.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from voc.schemas import SUPPORTED_LANGUAGES, UNASSIGNED_THEME
from voc.themes.label_rules import (
    PART_SEPARATOR,
    is_stop_word,
    is_tone_part,
    label_problems,
    learn_generic_words,
    lemma_of,
    part_problems,
)

#: A word is a run of letters (any script), optionally joined by an apostrophe or hyphen
#: ("don't", "e-mail", "пам'ять"); digits and underscores never count as letters.
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")

#: Where a sentence's clauses part: the fallback label takes its words from one clause.
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\[\]\d]+")

#: Verbatims between these lengths read as quotes; shorter ones say little, longer ones bury it.
VERBATIM_MIN_CHARS = 20
VERBATIM_MAX_CHARS = 280

#: Language whose keyphrases label a theme when it has enough units in it (the report's language).
LABEL_LANGUAGE = "en"

#: Longest keyphrase considered for a label, and most words in a whole label.
MAX_PHRASE_WORDS = 3
MAX_LABEL_WORDS = 4

#: A multi-word phrase is a collocation when at least this share of the units that hold its rarest
#: word say the whole phrase; collocations get their cohesion added to their score.
COLLOCATION_COHESION = 0.3


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
def analyze(text: str, language: str) -> list[str]:
    """Lemmatised unigrams and bigrams of ``text`` without stop words.

    Bigrams join only words that were adjacent in the text (never across a removed stop word), so
    "late delivery" is a phrase but "delivery ... courier" is not.
    """
    stops = stop_words(language)
    features: list[str] = []
    previous: str | None = None
    for token in _WORD.findall(text):
        lemma = lemma_of(token, language)
        if len(token) < 2 or token.lower() in stops or len(lemma) < 2 or lemma in stops:
            previous = None
            continue
        features.append(lemma)
        if previous is not None and previous != lemma:
            features.append(f"{previous} {lemma}")
        previous = lemma
    return features


@dataclass(frozen=True)
class Phrase:
    """One n-gram of a text: its lemma key (what is counted) and its written form (what is shown)."""

    key: str
    surface: str


def _is_placeholder(text: str, match: re.Match[str]) -> bool:
    """Whether a word is a redaction placeholder ("[PHONE]", "<IBAN>") or part of an id ("ORD-1234")."""
    before, after = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 2]
    if (after[:1].isdigit() or after[:1] in "-_/#" and after[1:2].isdigit()) or before.isdigit():
        return True
    return bool(before) and before in "[<" and after[:1] in ("]", ">") and match.group(0).isupper()


def analyze_phrases(text: str, language: str, *, max_words: int = MAX_PHRASE_WORDS) -> list[Phrase]:
    """Lemma n-grams of 1..``max_words`` words that may name a subject.

    An n-gram never starts or ends with a stop word and holds at most one inside ("wait on hold"),
    never spans punctuation, digits or a placeholder (only whitespace may separate its words), never
    repeats a lemma, and never holds a word shorter than two letters.
    """
    stops = stop_words(language)
    tokens: list[tuple[str, str, bool]] = []  # (lemma, surface, is stop)
    phrases: list[Phrase] = []

    def _flush() -> None:
        for start in range(len(tokens)):
            for size in range(1, max_words + 1):
                window = tokens[start : start + size]
                if len(window) < size or window[0][2] or window[-1][2] or sum(t[2] for t in window) > 1:
                    continue
                lemmas = [t[0] for t in window]
                if len(set(lemmas)) < len(lemmas):
                    continue
                phrases.append(Phrase(" ".join(lemmas), " ".join(t[1] for t in window)))
        tokens.clear()

    end = 0
    for match in _WORD.finditer(text):
        if text[end : match.start()].strip():
            _flush()
        end = match.end()
        token = match.group(0)
        lemma = lemma_of(token, language)
        if len(token) < 2 or len(lemma) < 2 or _is_placeholder(text, match):
            _flush()
            continue
        stop = token.lower() in stops or lemma in stops or is_stop_word(token.lower(), language)
        tokens.append((token.lower() if stop else lemma, token.lower(), stop))
    _flush()
    return phrases


def _label_candidates(
    analyses: Sequence[list[Phrase]], theme_ids: np.ndarray, *, n_candidates: int, min_units: int
) -> dict[int, list[tuple[str, float, set[int]]]]:
    """Best label phrases per theme for one language's units, in their written form.

    Scored by c-TF-IDF over the lemma n-grams; a multi-word collocation (said whole by at least
    :data:`COLLOCATION_COHESION` of the units holding its rarest word) gets its cohesion added, so
    "late delivery" beats "delivery" when people say it that way. Unit rows index ``analyses``.
    """
    surfaces: dict[str, Counter[str]] = {}
    docs: list[list[str]] = []
    for phrases in analyses:
        docs.append([p.key for p in phrases])
        for p in phrases:
            surfaces.setdefault(p.key, Counter())[p.surface] += 1
    vectorizer = CountVectorizer(analyzer=lambda doc: doc, lowercase=False)
    try:
        doc_terms = vectorizer.fit_transform(docs).tocsc()
    except ValueError:  # no text had a usable word
        return {}
    vocabulary = vectorizer.get_feature_names_out()
    index = {term: i for i, term in enumerate(vocabulary)}
    themes = np.unique(theme_ids)
    membership = sparse.csr_matrix(
        (np.ones(len(theme_ids)), (np.searchsorted(themes, theme_ids), np.arange(len(theme_ids)))),
        shape=(len(themes), len(theme_ids)),
    )
    scores = class_tfidf(membership @ doc_terms)
    present = (doc_terms > 0).astype(np.float64).tocsr()
    result: dict[int, list[tuple[str, float, set[int]]]] = {}
    for row, theme in enumerate(themes):
        rows = np.flatnonzero(theme_ids == theme)
        if len(rows) < min_units:
            continue
        doc_freq = np.asarray(present[rows].sum(axis=0)).ravel()
        needed = 2 if len(rows) >= 4 else 1
        terms = np.flatnonzero((scores[row] > 0) & (doc_freq >= needed))
        if len(terms) < 2:  # nothing repeats (few, varied sentences): the best single ones will do
            terms = np.flatnonzero(scores[row] > 0)
        boosted: list[tuple[float, int]] = []
        for term in terms:
            words = [w for w in str(vocabulary[term]).split() if w in index]
            score = float(scores[row, term])
            if len(words) > 1:
                rarest = min(doc_freq[index[w]] for w in words)
                cohesion = doc_freq[term] / rarest if rarest else 0.0
                if cohesion >= COLLOCATION_COHESION:
                    score *= 1.0 + cohesion
            boosted.append((score, int(term)))
        boosted.sort(key=lambda pair: (-pair[0], str(vocabulary[pair[1]])))
        picked = []
        for score, column in boosted[:n_candidates]:
            key = str(vocabulary[column])
            units = set(rows[doc_terms[rows, column].nonzero()[0]].tolist())
            # one word reads best as its lemma ("rezerwacja", not "rezerwacji") when people write it
            # so ("lost" stays "lost", not "lose"); a phrase as written ("opóźniona dostawa")
            shown = key if " " not in key and key in surfaces[key] else surfaces[key].most_common(1)[0][0]
            picked.append((shown, score, units))
        if picked:
            result[int(theme)] = picked
    return result


def extract_label_candidates(
    texts: Sequence[str],
    languages: Sequence[str],
    theme_ids: ArrayLike,
    *,
    n_candidates: int = 20,
    min_units: int = 1,
) -> dict[int, dict[str, list[tuple[str, float, set[int]]]]]:
    """Label phrases per theme and language: ``{theme: {language: [(phrase, score, units)]}}``.

    Like :func:`extract_keywords` (c-TF-IDF within each language, unit positions index ``texts``)
    but over phrases of up to :data:`MAX_PHRASE_WORDS` words in their written form.
    """
    ids = np.asarray(theme_ids, dtype=np.int64)
    out: dict[int, dict[str, list[tuple[str, float, set[int]]]]] = {}
    language_array = np.asarray([str(lang) for lang in languages], dtype=object)
    for language in sorted(set(language_array[ids != UNASSIGNED_THEME].tolist())):
        positions = np.flatnonzero((language_array == language) & (ids != UNASSIGNED_THEME))
        analyses = [analyze_phrases(texts[int(i)], language) for i in positions]
        found = _label_candidates(analyses, ids[positions], n_candidates=n_candidates, min_units=min_units)
        for theme, phrases in found.items():
            out.setdefault(theme, {})[language] = [
                (phrase, score, {int(positions[u]) for u in units}) for phrase, score, units in phrases
            ]
    return out


def learn_theme_generic_words(texts: Sequence[str], languages: Sequence[str], theme_ids: ArrayLike) -> frozenset[str]:
    """Lemmas said evenly across most themes (see :func:`voc.themes.label_rules.learn_generic_words`)."""
    words = [{f for f in analyze(text, language) if " " not in f} for text, language in zip(texts, languages)]
    return learn_generic_words(words, np.asarray(theme_ids, dtype=np.int64))


def fallback_label(
    texts: Sequence[str], similarity: ArrayLike, *, language: str, n_words: int = 4, generic_words: Iterable[str] = ()
) -> str:
    """The most central text that has a few content words left, cut down to those words.

    Used when no keyphrase passes the rules: "parcel arrived damaged" from "Hello, my parcel arrived
    damaged on Monday!" reads better than a bad keyword. "" when no text has one.
    """
    generic = frozenset(generic_words)
    stops = stop_words(language)
    for i in np.argsort(-np.asarray(similarity, dtype=np.float64), kind="stable"):
        clauses = []
        for clause in _CLAUSE_BREAK.split(texts[i]):
            words = [
                w.lower()
                for w in _WORD.findall(clause)
                if w.lower() not in stops and not part_problems(w, language=language, generic_words=generic)
            ]
            clauses.append(list(dict.fromkeys(words))[:n_words])
        words = max(clauses, key=len, default=[])
        label = " ".join(words)
        if words and not label_problems(label, language=language, generic_words=generic):
            return label
    return ""


def unique_labels(options: dict[int, list[str]], sizes: dict[int, int], *, avoid: Iterable[str] = ()) -> dict[int, str]:
    """One label per theme, no two alike where the options allow: larger themes choose first.

    ``options`` lists each theme's labels best first; ``avoid`` are labels already given elsewhere
    (other themes' labels, e.g. the leaves' when parents are named). A theme whose options are all
    taken keeps its best one (two themes then share a name, which merging them may well fix).
    """
    chosen: dict[int, str] = {}
    taken: set[str] = set(avoid)
    for theme in sorted(options, key=lambda t: (-sizes.get(t, 0), t)):
        free = [label for label in options[theme] if label not in taken]
        label = free[0] if free else (options[theme][0] if options[theme] else "")
        chosen[theme] = label
        taken.add(label)
    return chosen


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
    language: str = LABEL_LANGUAGE,
    generic_words: Iterable[str] = (),
) -> str:
    """A short readable label such as ``"late delivery / courier"`` ("" when no phrase passes).

    Phrases of the report ``language`` are used when the theme has at least a few units in it (the
    report's readers read it); otherwise the language with most units speaks for it, then the next.
    Every part passes :func:`voc.themes.label_rules.part_problems`, the first part names a subject
    (not a tone word) and the whole label has at most :data:`MAX_LABEL_WORDS` words.
    """
    generic = frozenset(generic_words)
    for lang in label_languages(units_per_language, keywords, language=language):
        options = label_options(keywords[lang], language=lang, top_n=top_n, generic_words=generic)
        if options:
            return options[0]
    return ""


def label_languages(
    units_per_language: dict[str, int], available: Iterable[str], *, language: str = LABEL_LANGUAGE
) -> list[str]:
    """Languages to try a theme's label in, best first: the report's when it has a few units."""
    present = [lang for lang in available]
    if not present:
        return []
    most = max(units_per_language.values(), default=0)
    first = [language] if language in present and units_per_language.get(language, 0) >= min(3, most) else []
    rest = sorted(
        (lang for lang in present if lang not in first),
        key=lambda lang: (-units_per_language.get(lang, 0), lang != language, [-ord(c) for c in lang]),
    )
    return first + rest


def _same_word(a: str, b: str) -> bool:
    """Two written words of one lemma family ("booking"/"booked", "delay"/"delayed")."""
    if a == b:
        return True
    common = len(os.path.commonprefix([a, b]))
    return common >= 4 and common >= 0.6 * min(len(a), len(b))


def _label_redundancy(a: tuple[str, float, set[int]], b: tuple[str, float, set[int]]) -> float:
    """:func:`_phrase_similarity` on written forms, where inflected forms of one word count as one."""
    words_a, words_b = a[0].lower().split(), b[0].lower().split()
    shared = sum(any(_same_word(w, v) for v in words_b) for w in words_a)
    overlap = shared / min(len(words_a), len(words_b))
    return max(overlap, _phrase_similarity(a, b))


def rank_label_parts(
    candidates: Sequence[tuple[str, float, set[int]]],
    *,
    language: str,
    generic_words: Iterable[str] = (),
    diversity: float = 0.5,
    max_redundancy: float = 0.9,
) -> list[tuple[str, float, set[int]]]:
    """Candidates that may be part of a label, ordered by maximal marginal relevance.

    Phrases breaking a rule and tone words ("terrible", "rude") are dropped; the first is the best
    subject; each next one maximises ``(1 - diversity) * relevance -
    diversity * redundancy`` against those before it, and one at least ``max_redundancy``
    redundant (contained in one ranked before, an inflection of it, or always said with it) is
    dropped.
    """
    generic = frozenset(generic_words)
    seen: set[str] = set()
    usable = []
    for candidate in candidates:
        text = candidate[0]
        if text in seen or part_problems(text, language=language, generic_words=generic):
            continue
        seen.add(text)
        usable.append(candidate)
    subjects = [c for c in usable if not is_tone_part(c[0], language=language)]
    if not subjects:
        return []
    best = max(c[1] for c in usable) or 1.0
    # the rules let a tone word follow a subject ("staff / rude"), but a label built here names
    # subjects only: "month's bill / good" says less than "month's bill / delivery fee"
    usable = subjects
    ordered = [max(subjects, key=lambda c: c[1])]
    remaining = [c for c in usable if c is not ordered[0]]
    while remaining:
        redundancy = [max(_label_redundancy(c, o) for o in ordered) for c in remaining]
        keep = [i for i, r in enumerate(redundancy) if r < max_redundancy]
        if not keep:
            break
        pick = max(keep, key=lambda i: ((1 - diversity) * remaining[i][1] / best - diversity * redundancy[i], -i))
        ordered.append(remaining[pick])
        remaining = [remaining[i] for i in keep if i != pick]
    return ordered


def label_options(
    candidates: Sequence[tuple[str, float, set[int]]],
    *,
    language: str,
    top_n: int = 2,
    generic_words: Iterable[str] = (),
    max_options: int = 8,
) -> list[str]:
    """Labels a theme could carry, best first; later ones tell it apart from a same-named theme.

    The best is the MMR-ranked parts joined up to ``top_n`` parts and :data:`MAX_LABEL_WORDS`
    words; the alternatives keep the lead part and swap the ones after it for lower ranked parts,
    then lead with the second part. Each option passes :func:`voc.themes.label_rules.label_problems`.
    """
    generic = frozenset(generic_words)
    parts = [c[0] for c in rank_label_parts(candidates, language=language, generic_words=generic)]
    options: list[str] = []

    def _offer(chosen: list[str]) -> None:
        label = PART_SEPARATOR.join(chosen)
        if chosen and label not in options and not label_problems(label, language=language, generic_words=generic):
            options.append(label)

    def _fill(lead: str, pool: list[str]) -> list[str]:
        chosen, words = [lead], len(lead.split())
        for phrase in pool:
            if len(chosen) >= top_n:
                break
            if words + len(phrase.split()) <= MAX_LABEL_WORDS:
                chosen.append(phrase)
                words += len(phrase.split())
        return chosen

    if not parts:
        return options
    _offer(_fill(parts[0], parts[1:]))
    for i in range(1, len(parts)):
        _offer(_fill(parts[0], parts[i:]))
    for i in range(1, len(parts)):
        if not is_tone_part(parts[i], language=language):
            _offer(_fill(parts[i], [p for p in parts if p != parts[i]]))
    _offer([parts[0]])
    return options[:max_options]


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


def label_sample(
    theme_ids: np.ndarray, similarity: np.ndarray, languages: np.ndarray, *, size: int, n_top: int = 20, seed: int = 0
) -> np.ndarray:
    """Positions (sorted) of about ``size`` assigned units that stand for their themes in labelling.

    Each theme keeps its ``n_top`` most central units in every language (its verbatims come from
    there) and a seeded random share of the rest proportional to its size, so every theme's word
    frequencies are estimated from the same fraction of its units and c-TF-IDF compares like with
    like. Unassigned units take no part in labelling and are left out.

    Parameters
    ----------
    theme_ids, similarity, languages : arrays of shape (n,)
    size : int
        Units to keep in all (the central ones may add a few).
    """
    rng = np.random.default_rng(seed)
    assigned = np.flatnonzero(theme_ids != UNASSIGNED_THEME)
    share = min(1.0, size / max(len(assigned), 1))
    frame = pd.DataFrame({"theme": theme_ids[assigned], "language": languages[assigned], "sim": -similarity[assigned]})
    central = frame.sort_values("sim", kind="stable").groupby(["theme", "language"], sort=False).head(n_top).index
    chosen = np.zeros(len(assigned), dtype=bool)
    chosen[central.to_numpy()] = True
    chosen |= rng.random(len(assigned)) < share
    return assigned[chosen]


def describe_themes(
    units: pd.DataFrame,
    theme_ids: ArrayLike,
    similarity: ArrayLike,
    *,
    only: Iterable[int] | None = None,
    n_keywords: int = 8,
    n_verbatims: int = 3,
    language: str = LABEL_LANGUAGE,
    avoid_labels: Iterable[str] = (),
    max_units: int | None = None,
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
    language : str
        The report's language: labels are in it when a theme has a few units in it.
    avoid_labels : iterable of str
        Labels other themes already carry (the leaves', when naming their parents): a theme takes
        its next best label rather than repeat one.
    max_units : int, optional
        Above this many assigned units the statistics are taken from a sample of that size
        (:func:`label_sample`): word frequencies per theme settle long before 10^5 units, while
        lemmatising every unit three times held a gigabyte and minutes at that size.

    Returns
    -------
    DataFrame with columns ``theme_id``, ``generated_label``, ``keywords`` (JSON
    ``{language: [phrase, ...]}``) and ``verbatims`` (JSON ``[{record_id, language, text}]``).
    Every label passes :func:`voc.themes.label_rules.label_problems` with the words this data
    shows to be generic, unless even the fallback found nothing (then ``"theme <id>"``); no two
    labels are the same when a theme has another good one.
    """
    theme_ids = np.asarray(theme_ids, dtype=np.int64)
    similarity = np.asarray(similarity, dtype=np.float64)
    wanted = sorted(set(theme_ids[theme_ids != UNASSIGNED_THEME].tolist()) if only is None else set(only))
    if not wanted:
        # a night between refits with no new or changed theme: the corpus-wide keyword, candidate
        # and generic-word statistics below would be computed for nothing (seconds on every night)
        return pd.DataFrame(columns=["theme_id", "generated_label", "keywords", "verbatims"])
    if max_units is not None and int((theme_ids != UNASSIGNED_THEME).sum()) > max_units:
        unit_languages = units["language"].fillna("und").astype(str).to_numpy()
        keep = label_sample(theme_ids, similarity, unit_languages, size=max_units)
        units = units.iloc[keep].reset_index(drop=True)
        theme_ids = np.asarray(theme_ids[keep], dtype=np.int64)
        similarity = np.asarray(similarity[keep], dtype=np.float64)
    texts = units["text"].astype(str).tolist()
    languages = units["language"].fillna("und").astype(str).tolist()
    keywords = extract_keywords(texts, languages, theme_ids, n_keywords=n_keywords)
    bare = [t for t in wanted if t not in keywords and np.any(theme_ids == t)]
    if bare:
        # a theme spread thinly over many languages (one sentence each) still deserves words
        thin = extract_keywords(texts, languages, theme_ids, n_keywords=n_keywords, min_units=1)
        keywords.update({t: thin[t] for t in bare if t in thin})
    candidates = extract_label_candidates(texts, languages, theme_ids)
    generic = learn_theme_generic_words(texts, languages, theme_ids)
    record_ids = units["record_id"].astype(str).to_numpy()
    options: dict[int, list[str]] = {}
    sizes: dict[int, int] = {}
    rows: list[dict[str, str | int]] = []
    for theme in wanted:
        members = np.flatnonzero(theme_ids == theme)
        found = keywords.get(theme, {})
        per_language = pd.Series([languages[i] for i in members]).value_counts().to_dict() if len(members) else {}
        sizes[theme] = len(members)
        options[theme] = _theme_label_options(
            candidates.get(theme, {}),
            per_language,
            members,
            texts,
            languages,
            similarity,
            language=language,
            generic_words=generic,
        )
        verbatims = select_verbatims(
            [texts[i] for i in members],
            record_ids[members].tolist(),
            [languages[i] for i in members],
            similarity[members],
            n_per_language=n_verbatims,
        )
        rows.append(
            {
                "theme_id": int(theme),
                "keywords": json.dumps(
                    {lang: [p for p, _, _ in v] for lang, v in sorted(found.items())}, ensure_ascii=False
                ),
                "verbatims": json.dumps(verbatims, ensure_ascii=False),
            }
        )
    labels = unique_labels(options, sizes, avoid=avoid_labels)
    for row in rows:
        theme_id = int(row["theme_id"])
        row["generated_label"] = labels.get(theme_id) or f"theme {theme_id}"
    return pd.DataFrame(rows, columns=["theme_id", "generated_label", "keywords", "verbatims"])


def _theme_label_options(
    candidates: dict[str, list[tuple[str, float, set[int]]]],
    per_language: dict[str, int],
    members: np.ndarray,
    texts: Sequence[str],
    languages: Sequence[str],
    similarity: np.ndarray,
    *,
    language: str,
    generic_words: frozenset[str],
) -> list[str]:
    """A theme's possible labels, best first: keyphrases in the best language that has good ones,
    else its most central verbatim cut down to a few content words."""
    for lang in label_languages(per_language, candidates, language=language):
        found = label_options(candidates[lang], language=lang, generic_words=generic_words)
        if found:
            return found
    for lang in label_languages(per_language, per_language, language=language):
        in_language = [i for i in members if languages[i] == lang]
        fallback = fallback_label(
            [texts[i] for i in in_language], similarity[in_language], language=lang, generic_words=generic_words
        )
        if fallback:
            return [fallback]
    return []
