"""Rules a theme label must pass before a person reads it, as a registry of named checks.

A label names *what* customers talk about ("late delivery / courier"), so it is never a stop word,
a number, a date, a greeting, a redaction placeholder, a URL fragment, one generic word ("problem",
"money") or a pure tone phrase ("terrible / avoid"). Each rule is a :class:`LabelRule`: a name, the
reason shown to whoever wonders why a label was refused, and a predicate over the label's parts.
Add one with :func:`register_rule`::

    @register_rule("swear_word", reason="a swear word names nothing")
    def _swear(part: Part, context: LabelContext) -> bool:
        return any(word in SWEAR_WORDS for word in part.words)

The vocabularies come from sources that already know them: spaCy's stop words and number words,
dateparser's month, weekday and relative-date names in every supported language, the PII
redactor's own placeholders (:data:`voc.ingest.pii.REGISTRY`), the salutation and closing formulas
that boilerplate detection strips (:data:`voc.themes.boilerplate.FORMULAS`). Small hand lists stay
for what no installed resource lists: evaluative (tone) words, hedges, generic nouns, light verbs
and modifiers. Generic words are also learned from the data: :func:`learn_generic_words` finds
words said evenly across most themes.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final

import numpy as np

from voc.ingest.pii import REGISTRY as PII_REDACTORS
from voc.schemas import SUPPORTED_LANGUAGES
from voc.themes.boilerplate import FORMULAS as GREETING_FORMULAS

#: Separator between the keyphrases of one label ("late delivery / courier").
PART_SEPARATOR = " / "

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")

#: Contraction tails: "i've", "don't", "we're" are stop words whatever spaCy's list spells.
_CONTRACTION_TAILS = frozenset({"s", "t", "ve", "re", "ll", "d", "m"})

#: simplemma's frugal dictionaries: the same lemmas (checked on every word of the generated
#: sample in five languages) at about a seventh of the memory (five languages took ~0.8 GB with
#: the default backend, held for the rest of the night) and loaded faster
LOW_MEMORY_LEMMAS: Final = True


def _wordset(words: str) -> frozenset[str]:
    """A word list written as one space-separated string (easier to read and edit than a list)."""
    return frozenset(words.split())


#: Evaluative words: how people feel about a subject, never the subject itself. A label part made
#: of these alone ("terrible", "zły niestety") names nothing; next to a subject ("staff / rude")
#: it is allowed. Intensifiers and hedges ("very", "trochę", "exactly") belong here too.
TONE_WORDS: dict[str, frozenset[str]] = {
    "en": _wordset(
        "good bad great terrible awful horrible excellent poor worst best better worse nice fine ok okay "
        "amazing awesome fantastic wonderful lovely perfect brilliant super superb disappointing disappointed "
        "disappointment happy unhappy satisfied dissatisfied angry upset sad glad love hate like dislike "
        "avoid recommend recommended disgusting pathetic ridiculous useless unacceptable shame shameful "
        "correct incorrect right wrong exactly really very quite pretty bit little much totally absolutely "
        "completely definitely unfortunately fortunately sadly honestly seriously literally actually "
        "average decent mediocre okay-ish crap sucks suck fail joke thanks thank please sorry"
    ),
    "pl": _wordset(
        "dobry zły dobrze źle świetny świetnie super fatalny fatalnie okropny okropnie straszny strasznie "
        "beznadziejny beznadziejnie tragiczny tragedia kiepski kiepsko słaby słabo najgorszy najlepszy "
        "lepszy gorszy fajny fajnie miły niemiły wspaniały doskonały idealny rewelacyjny rewelacja "
        "polecać polecam niepolecać odradzać odradzam zadowolony niezadowolony rozczarowany rozczarowanie "
        "niestety trochę bardzo naprawdę całkiem zupełnie totalnie dokładnie właściwie szczerze "
        "przeciętny średni średnio porażka żenada żenujący masakra dramat"
    ),
    "de": _wordset(
        "gut schlecht super toll prima schrecklich furchtbar katastrophal mies miserabel ausgezeichnet "
        "hervorragend perfekt schön nett unfreundlich freundlich enttäuscht enttäuschend enttäuschung "
        "zufrieden unzufrieden empfehlen abraten leider sehr wirklich ziemlich etwas bisschen total "
        "absolut genau richtig falsch durchschnittlich mittelmäßig katastrophe frechheit"
    ),
    "fi": _wordset(
        "hyvä huono loistava erinomainen kamala hirveä surkea kauhea täydellinen mukava ihana upea "
        "tyytyväinen tyytymätön pettynyt pettymys suositella suosittelen valitettavasti todella tosi "
        "erittäin aika vähän melko ihan täysin oikea väärä keskinkertainen"
    ),
    "uk": _wordset(
        "добрий добре поганий погано чудовий чудово жахливий жахливо жах відмінний ідеальний гарний "
        "приємний неприємний задоволений незадоволений розчарований розчарування рекомендувати раджу "
        "нажаль жаль дуже справді трохи досить зовсім точно правильно неправильно середній"
    ),
}

#: Intensifiers and hedges: a phrase never starts or ends with one ("repair with exactly").
HEDGES: dict[str, frozenset[str]] = {
    "en": _wordset(
        "very really quite pretty exactly completely totally absolutely definitely literally actually "
        "just even still already almost like so too"
    ),
    "pl": _wordset(
        "bardzo naprawdę całkiem zupełnie totalnie dokładnie właściwie trochę wręcz nawet jeszcze już prostu"
    ),
    "de": _wordset("sehr wirklich ziemlich total absolut genau eigentlich etwas bisschen sogar noch schon einfach"),
    "fi": _wordset("todella tosi erittäin aika melko ihan täysin vähän jopa vielä jo"),
    "uk": _wordset("дуже справді досить зовсім точно трохи навіть ще вже"),
}

#: Nouns and light verbs that name no subject on their own in any domain. Themes learn more from their data
#: (:func:`learn_generic_words`); this list keeps the obvious ones out when there are too few
#: themes to learn from. Together they may still name one ("customer service").
GENERIC_WORDS: dict[str, frozenset[str]] = {
    "en": _wordset(
        "problem issue customer service thing experience money time people person way lot day "
        "everything something anything nothing company business question help stuff kind sort part "
        "place reason fact point case number item position option year week hour minute "
        "get make go come take give say know want need find use try tell ask look see think feel "
        "seem end twice once"
    ),
    "pl": _wordset(
        "problem kłopot sprawa rzecz klient usługa obsługa pieniądz pieniądze czas człowiek ludzie "
        "sposób dzień firma pytanie pomoc coś nic wszystko część miejsce powód pozycja raz "
        "móc mieć dać robić zrobić chcieć musieć znaleźć znajdować znajdywać iść wiedzieć okazać siebie"
    ),
    "de": _wordset(
        "problem sache ding kunde service dienst geld zeit mensch leute art tag firma frage hilfe "
        "etwas nichts alles teil ort grund position mal "
        "machen geben gehen kommen nehmen sagen wissen wollen finden"
    ),
    "fi": _wordset(
        "ongelma asia juttu asiakas palvelu raha aika ihminen ihmiset tapa päivä yritys kysymys apu "
        "jotain mitään kaikki osa paikka syy kohta kerta "
        "tehdä saada antaa mennä tulla ottaa sanoa tietää haluta löytää"
    ),
    "uk": _wordset(
        "проблема питання справа річ клієнт сервіс послуга гроші час людина люди спосіб день компанія "
        "допомога щось нічого все частина місце причина позиція раз "
        "могти мати дати робити зробити хотіти знайти йти знати"
    ),
}

#: Modifiers that only rank or size a subject: "najwyższa pozycja", "new thing" name nothing.
GENERIC_MODIFIERS: dict[str, frozenset[str]] = {
    "en": _wordset(
        "new old big small long short high low first last next other same different whole single "
        "highest lowest top main general overall"
    ),
    "pl": _wordset(
        "nowy stary duży mały długi krótki wysoki niski najwyższy najniższy "
        "pierwszy ostatni następny inny ten sam cały główny główna ogólny"
    ),
    "de": _wordset(
        "neu alt groß klein lang kurz hoch niedrig höchste erste letzte nächste andere gleiche ganze haupt allgemein"
    ),
    "fi": _wordset(
        "uusi vanha iso suuri pieni pitkä lyhyt korkea matala korkein ensimmäinen viimeinen "
        "seuraava muu sama koko yleinen"
    ),
    "uk": _wordset(
        "новий старий великий малий довгий короткий високий низький найвищий перший останній "
        "наступний інший той самий весь головний загальний"
    ),
}

#: Pieces of a web address: a label "https / artykul" comes from links, not from what was said.
URL_FRAGMENTS = _wordset("http https www com org net html htm php asp aspx io co ly bit amp utm url href")
_URLISH = re.compile(r"^(?:https?|www)\b|\.(?:com|org|net|pl|de|fi|ua|eu|html?)\b|/")


@dataclass(frozen=True)
class Part:
    """One keyphrase of a label, split into lower-case words, with the label's language."""

    text: str
    words: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class LabelRule:
    """A named check: ``fails(part, context)`` is True when the part breaks the rule."""

    name: str
    reason: str
    fails: Callable[[Part, LabelContext], bool]


@dataclass(frozen=True)
class LabelContext:
    """What the rules may know beyond the label: words the data showed to be generic."""

    generic_words: frozenset[str] = frozenset()


#: name -> LabelRule, checked in insertion order on every part of a label.
RULES: dict[str, LabelRule] = {}


def register_rule(
    name: str, *, reason: str
) -> Callable[[Callable[[Part, LabelContext], bool]], Callable[[Part, LabelContext], bool]]:
    """Decorator adding ``predicate(part, context) -> bool`` (True = broken) as rule ``name``."""

    def _add(predicate: Callable[[Part, LabelContext], bool]) -> Callable[[Part, LabelContext], bool]:
        RULES[name] = LabelRule(name, reason, predicate)
        return predicate

    return _add


def _languages(language: str) -> list[str]:
    # a short text's language is often misjudged: unknown ones are checked against all of them
    return [language] if language in SUPPORTED_LANGUAGES else list(SUPPORTED_LANGUAGES)


@cache
def _stop_words(language: str) -> frozenset[str]:
    words: set[str] = set()
    for lang in _languages(language):
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
        words |= {w.lower() for w in module.STOP_WORDS}
    return frozenset(words)


def stop_words(language: str) -> frozenset[str]:
    """Stop words of ``language``; of every supported language when it is unknown or empty."""
    return _stop_words(language)


@cache
def _union(table: tuple[tuple[str, frozenset[str]], ...], language: str) -> frozenset[str]:
    found = dict(table)
    return frozenset().union(*(found.get(lang, frozenset()) for lang in _languages(language)))


def _words_of(table: Mapping[str, frozenset[str]], language: str) -> frozenset[str]:
    return _union(tuple(sorted(table.items())), language)


@cache
def _lemmatised(table_name: str, language: str) -> frozenset[str]:
    """A hand list plus the lemmas of its words, so "disappointed" also covers "disappoint"."""
    table = {"tone": TONE_WORDS, "generic": GENERIC_WORDS, "modifier": GENERIC_MODIFIERS}[table_name]
    words = set(_words_of(table, language))
    for lang in _languages(language):
        words |= {lemma_of(w, lang) for w in table.get(lang, frozenset())}
        if lang == "pl":
            # simplemma leaves many feminine and neuter adjectives as they are ("miła", "najwyższa")
            words |= {w[:-1] + ending for w in table.get(lang, frozenset()) if w.endswith("y") for ending in "ae"}
            words |= {w[:-1] + ending for w in table.get(lang, frozenset()) if w.endswith("i") for ending in ("a", "e")}
    return frozenset(words)


@lru_cache(maxsize=1 << 18)
def lemma_of(word: str, language: str) -> str:
    """The lower-cased lemma of ``word``; the word lower-cased in a language without dictionaries.

    One function for theme labels and their rules, so a label's words and the rules' word lists
    are lemmatised alike. Kept per (word, language): a night's units repeat their vocabulary.
    """
    if language not in SUPPORTED_LANGUAGES:
        return word.lower()
    import simplemma

    # simplemma finds German nouns by their capital letter, so lemmatise before lower-casing
    return str(simplemma.lemmatize(word, lang=language, low_memory=LOW_MEMORY_LEMMAS)).lower()


@cache
def placeholder_words() -> frozenset[str]:
    """The redactor's placeholders as the words a tokenizer sees ("[PESEL]" -> "pesel")."""
    return frozenset(
        word.lower() for redactor in PII_REDACTORS.values() for word in _WORD.findall(redactor.placeholder)
    )


@cache
def placeholder_only_words() -> frozenset[str]:
    """Placeholder words that are no everyday English word: "pesel", "iban", "hetu", not "phone".

    "phone" or "card" in a label may well be what customers wrote about; label phrases never hold
    the placeholders themselves (:func:`voc.themes.labels.analyze_phrases` skips them).
    """
    import simplemma

    return frozenset(
        w for w in placeholder_words() if not simplemma.is_known(w, lang="en", low_memory=LOW_MEMORY_LEMMAS)
    )


@cache
def date_words(language: str) -> frozenset[str]:
    """Month, weekday and date-unit names ("monday", "styczeń", "month", "today") from dateparser."""
    from dateparser.languages import default_loader  # type: ignore[import-untyped]

    keys = _wordset(
        "january february march april may june july august september october november december "
        "monday tuesday wednesday thursday friday saturday sunday day week month year hour minute"
    )
    words: set[str] = set()
    for lang in _languages(language):
        info = default_loader.get_locale(lang).info
        names = [n for key in keys for n in info.get(key, [])]
        names += [n for phrases in info.get("relative-type", {}).values() for n in phrases if " " not in n]
        for name in names:
            for word in _WORD.findall(name.lower()):
                if len(word) >= 3 and not word.isdigit():
                    words |= {word, lemma_of(word, lang)}
    words |= {"weekday", "weekend", "morning", "evening", "afternoon", "tonight", "night"}
    return frozenset(words)


@cache
def _number_checks(language: str) -> tuple[Callable[[str], bool], ...]:
    checks = []
    for lang in _languages(language):
        try:
            module = importlib.import_module(f"spacy.lang.{lang}.lex_attrs")
        except ModuleNotFoundError:  # spaCy has no number words for this language
            continue
        checks.append(module.like_num)
    return tuple(checks)


def _is_number(word: str, language: str) -> bool:
    if any(ch.isdigit() for ch in word):
        return True
    return any(check(word) for check in _number_checks(language))


def is_stop_word(word: str, language: str) -> bool:
    """spaCy's stop words, and contractions made of them ("i've", "don't", "we're")."""
    stops = _stop_words(language)
    if word in stops:
        return True
    pieces = re.split(r"['’]", word)
    return len(pieces) > 1 and pieces[0] in stops and all(p in _CONTRACTION_TAILS or p in stops for p in pieces[1:])


@register_rule("empty", reason="says nothing: the label has no words")
def _empty(part: Part, context: LabelContext) -> bool:
    return not part.words


@register_rule("stop_word", reason="starts or ends with a stop word or a hedge (very, exactly), or is one")
def _stop_word(part: Part, context: LabelContext) -> bool:
    hedges = _words_of(HEDGES, part.language)
    return bool(part.words) and (
        is_stop_word(part.words[0], part.language)
        or is_stop_word(part.words[-1], part.language)
        or (len(part.words) > 1 and (part.words[0] in hedges or part.words[-1] in hedges))
    )


@register_rule("number", reason="a number or number word names no subject")
def _number(part: Part, context: LabelContext) -> bool:
    return any(_is_number(w, part.language) for w in part.words)


@register_rule("date", reason="a date, month, weekday or time unit names when, not what")
def _date(part: Part, context: LabelContext) -> bool:
    dates = date_words(part.language)
    return any(w in dates for w in part.words) and all(w in dates or is_stop_word(w, part.language) for w in part.words)


@cache
def greeting_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(whole formulas, one-word greetings, words of any formula) over every language.

    Greetings cross languages ("hallo" in a Polish message, "hi" everywhere), so all are used.
    """
    formulas = frozenset(f for phrases in GREETING_FORMULAS.values() for f in phrases)
    single = frozenset(f for f in formulas if " " not in f)
    pieces = frozenset(w for f in formulas for w in f.split())
    return formulas, single, pieces


@register_rule("greeting", reason="a greeting or sign-off opens a message, it is not its subject")
def _greeting(part: Part, context: LabelContext) -> bool:
    formulas, single, _ = greeting_words()
    if " ".join(part.words) in formulas:
        return True
    # a one-word formula anywhere ("mfg paul", "end / hello") marks a phrase taken from a sign-off
    return any(w in single for w in part.words)


@register_rule("placeholder", reason="a redaction placeholder ([PESEL], [IBAN]) hides data, it names nothing")
def _placeholder(part: Part, context: LabelContext) -> bool:
    return any(w in placeholder_only_words() for w in part.words)


@register_rule("url", reason="a URL or a piece of one comes from links, not from what was said")
def _url(part: Part, context: LabelContext) -> bool:
    return bool(_URLISH.search(part.text.lower())) or any(w in URL_FRAGMENTS for w in part.words)


@register_rule("fragment", reason="a word of one or two letters is a fragment, not a subject")
def _fragment(part: Part, context: LabelContext) -> bool:
    return any(len(w) < 3 for w in part.words)


@register_rule("generic", reason="generic words (problem, money, highest position) fit every theme")
def _generic(part: Part, context: LabelContext) -> bool:
    generic = context.generic_words | _lemmatised("generic", part.language)
    modifiers, tone = _lemmatised("modifier", part.language), _lemmatised("tone", part.language)
    if len(part.words) == 1:
        return _has(part, 0, generic | modifiers)
    generic = generic | date_words(part.language)  # "single month", "last week"
    # several generic nouns may name a subject ("customer service"); ranked or sized ones do not
    return all(_has(part, i, generic | modifiers | tone) for i in range(len(part.words))) and any(
        _has(part, i, modifiers | tone) for i in range(len(part.words))
    )


def _has(part: Part, index: int, words: frozenset[str]) -> bool:
    word = part.words[index]
    return word in words or lemma_of(word, part.language) in words


def is_tone_part(part: str, *, language: str) -> bool:
    """Whether a keyphrase is made of evaluative words only ("terrible", "zły niestety")."""
    words = _split_words(part)
    tone = _lemmatised("tone", language)
    return bool(words) and all(w in tone or lemma_of(w, language) in tone or is_stop_word(w, language) for w in words)


def _split_words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(text))


def split_label(label: str) -> list[str]:
    """The keyphrases of a label: ``"late delivery / courier"`` -> ``["late delivery", "courier"]``."""
    return [p.strip() for p in str(label).split("/") if p.strip()]


def part_problems(phrase: str, *, language: str, generic_words: Iterable[str] = ()) -> list[str]:
    """Names of the rules one keyphrase breaks (empty = it may be part of a label)."""
    part = Part(phrase.strip(), _split_words(phrase), language)
    context = LabelContext(frozenset(generic_words))
    return [rule.name for rule in RULES.values() if rule.fails(part, context)]


def label_problems(label: str, *, language: str, generic_words: Iterable[str] = ()) -> list[str]:
    """Why a label is unfit for a reader: the names of the rules it breaks (empty = it passes).

    Parameters
    ----------
    label : str
        Keyphrases joined by ``" / "``.
    language : str
        The label's language (ISO 639-1); unknown ones are checked against every supported one.
    generic_words : iterable of str
        Words the data showed to be generic (:func:`learn_generic_words`); a part that is one of
        them alone fails the ``generic`` rule.

    Returns
    -------
    list of str
        Rule names, each once, in registry order; ``"tone_only"`` when every part is a tone word.
    """
    generic = frozenset(generic_words)
    parts = split_label(label)
    if not parts:
        return ["empty"]
    broken = {name for phrase in parts for name in part_problems(phrase, language=language, generic_words=generic)}
    problems = [name for name in RULES if name in broken]
    if all(is_tone_part(p, language=language) for p in parts):
        problems.append("tone_only")
    return problems


def explain_label(label: str, *, language: str, generic_words: Iterable[str] = ()) -> list[str]:
    """The reasons (sentences) behind :func:`label_problems`, for logs and reports."""
    reasons = {name: rule.reason for name, rule in RULES.items()}
    reasons["tone_only"] = "only says how people feel, not what about"
    return [reasons[name] for name in label_problems(label, language=language, generic_words=generic_words)]


def is_readable_label(label: str, *, language: str, generic_words: Iterable[str] = ()) -> bool:
    """Whether ``label`` passes every rule in :data:`RULES` and is not a pure tone phrase."""
    return not label_problems(label, language=language, generic_words=generic_words)


def learn_generic_words(
    unit_words: Sequence[Iterable[str]],
    theme_ids: Sequence[int] | np.ndarray,
    *,
    min_themes: int = 4,
    theme_share: float = 0.6,
    min_rate: float = 0.02,
) -> frozenset[str]:
    """Words said evenly across most themes: they tell no theme apart, whatever c-TF-IDF says.

    A word is generic when at least ``min_rate`` of all units contain it and, in at least
    ``theme_share`` of the themes, at least half that rate of the theme's units contain it. With
    fewer than ``min_themes`` themes nothing can be learned and the result is empty.

    Parameters
    ----------
    unit_words : sequence of iterables of str, length n
        The (lemmatised) words of each unit.
    theme_ids : sequence of int, length n
        Each unit's theme; negative ids (unassigned) are ignored.

    Returns
    -------
    frozenset of str
    """
    ids = np.asarray(theme_ids, dtype=np.int64)
    keep = np.flatnonzero(ids >= 0)
    themes, inverse = np.unique(ids[keep], return_inverse=True)
    if len(themes) < min_themes:
        return frozenset()
    sizes = np.bincount(inverse, minlength=len(themes)).astype(float)
    counts: dict[str, np.ndarray] = {}
    for position, theme in zip(keep, inverse):
        for word in set(unit_words[int(position)]):
            counts.setdefault(word, np.zeros(len(themes)))[theme] += 1
    total = float(sizes.sum())
    generic = set()
    for word, per_theme in counts.items():
        rate = per_theme.sum() / total
        if rate < min_rate:
            continue
        spread = np.mean(per_theme / sizes >= rate / 2)
        if spread >= theme_share:
            generic.add(word)
    return frozenset(generic)
