"""Redaction of personal data before anything is stored or embedded.

Each kind of personal data is a :class:`Redactor` in :data:`REGISTRY`: a regular expression that
finds candidates and an optional validator (Luhn, mod-97, PESEL and henkilötunnus checksums) that
keeps ordinary numbers such as order ids, prices and dates from being redacted. Candidates are
replaced by a typed placeholder (``[EMAIL]``, ``[CARD]``, ...) so that analysts still see that a
customer quoted a card number, and embeddings still see "a phone number was here".

Add a kind with the :func:`register` decorator::

    @register("ticket_ref", placeholder="[TICKET]", pattern=r"TCK-\\d{8}")
    def _valid_ticket(match: str) -> bool:
        return True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlsplit

Validator = Callable[[str], bool]


@dataclass(frozen=True)
class Redactor:
    """One kind of personal data: where to look, how to confirm, what to put instead."""

    name: str
    placeholder: str
    pattern: re.Pattern[str]
    validate: Validator | None = None
    #: lower runs first; URLs and e-mails go before digit patterns so their digits are not
    #: mistaken for phones, and checked numbers (IBAN, card, ids) before the looser phone rule
    order: int = 100
    #: cheap pre-check; the full pattern runs only on texts it finds (most feedback has no digits)
    trigger: re.Pattern[str] | None = None

    def redact(self, text: str) -> tuple[str, int]:
        """Replace every validated match in ``text``; return the new text and the count."""
        if self.trigger is not None and not self.trigger.search(text):
            return text, 0
        count = 0

        def _swap(match: re.Match[str]) -> str:
            nonlocal count
            found = match.group(0)
            checked = match.group("pii") if "pii" in self.pattern.groupindex else found
            if self.validate is not None and not self.validate(checked):
                return found
            count += 1
            if "pii" in self.pattern.groupindex:
                # only the named group is personal; the cue around it stays readable
                start, end = match.span("pii")
                base = match.start()
                return found[: start - base] + self.placeholder + found[end - base :]
            return self.placeholder

        return self.pattern.sub(_swap, text), count


#: name -> Redactor; :func:`redact_text` applies them in ``order``.
REGISTRY: dict[str, Redactor] = {}


def register(
    name: str,
    *,
    placeholder: str,
    pattern: str | re.Pattern[str],
    order: int = 100,
    flags: int = 0,
    trigger: str | None = None,
) -> Callable[[Validator], Validator]:
    """Decorator adding a validator function as the redactor ``name`` to :data:`REGISTRY`.

    ``trigger`` is an optional cheap regex that must occur in a text for ``pattern`` to be tried.
    """
    compiled = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
    quick = re.compile(trigger, flags) if trigger else None

    def _add(validate: Validator) -> Validator:
        REGISTRY[name] = Redactor(name, placeholder, compiled, validate, order, quick)
        return validate

    return _add


def redact_text(text: str, *, kinds: Iterable[str] | None = None) -> tuple[str, int]:
    """Replace personal data in ``text`` with typed placeholders.

    Parameters
    ----------
    text : str
        Normalised text.
    kinds : iterable of str, optional
        Names from :data:`REGISTRY`; all when None.

    Returns
    -------
    (str, int)
        The redacted text and the number of spans replaced. Redacting the result again changes
        nothing: the passes repeat until no redactor finds anything (at most a few times).
    """
    chosen = sorted((REGISTRY[k] for k in kinds) if kinds is not None else REGISTRY.values(), key=lambda r: r.order)
    total = 0
    for _ in range(4):
        found = 0
        for redactor in chosen:
            text, n = redactor.redact(text)
            found += n
        total += found
        if not found:
            break
    return text, total


def redact_texts(texts: Iterable[str], *, kinds: Iterable[str] | None = None) -> tuple[list[str], list[int]]:
    """:func:`redact_text` over many texts; returns (texts, counts), both of length n."""
    kinds = list(kinds) if kinds is not None else None
    out, counts = [], []
    for text in texts:
        red, n = redact_text(text, kinds=kinds) if text else (text, 0)
        out.append(red)
        counts.append(n)
    return out, counts


# --- checksums ------------------------------------------------------------------------------


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def luhn_valid(number: str) -> bool:
    """Luhn checksum of the digits in ``number`` (payment cards)."""
    digits = [int(d) for d in _digits(number)]
    if not digits:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN written with or without spaces."""
    compact = re.sub(r"[\s-]", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    as_digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(as_digits) % 97 == 1


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_PESEL_CENTURY = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}


def pesel_valid(pesel: str) -> bool:
    """Polish PESEL: 11 digits, a real birth date (century coded in the month) and the checksum."""
    d = _digits(pesel)
    if len(d) != 11:
        return False
    check = (10 - sum(int(a) * w for a, w in zip(d, _PESEL_WEIGHTS)) % 10) % 10
    if check != int(d[10]):
        return False
    month_code = int(d[2:4])
    offset = month_code // 20 * 20
    return offset in _PESEL_CENTURY and _valid_date(
        _PESEL_CENTURY[offset] + int(d[:2]), month_code - offset, int(d[4:6])
    )


_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_HETU_CENTURY = {
    "+": 1800,
    "-": 1900,
    "U": 1900,
    "V": 1900,
    "W": 1900,
    "X": 1900,
    "Y": 1900,
    "A": 2000,
    "B": 2000,
    "C": 2000,
    "D": 2000,
    "E": 2000,
    "F": 2000,
}


def hetu_valid(hetu: str) -> bool:
    """Finnish henkilötunnus DDMMYYCZZZQ: a real date, a known century sign and the check char."""
    h = hetu.upper()
    if len(h) != 11 or h[6] not in _HETU_CENTURY or not (h[:6] + h[7:10]).isdigit():
        return False
    if not _valid_date(_HETU_CENTURY[h[6]] + int(h[4:6]), int(h[2:4]), int(h[:2])):
        return False
    return _HETU_CHECK[int(h[:6] + h[7:10]) % 31] == h[10]


# --- the registry ---------------------------------------------------------------------------

# Query parameters whose value is a credential; a URL carrying one is redacted whole.
_SECRET_PARAM = re.compile(
    r"(?:^|[_\-.])(?:token|access[_\-]?token|id[_\-]?token|refresh[_\-]?token|auth|authorization|key|"
    r"api[_\-]?key|apikey|secret|client[_\-]?secret|password|passwd|pwd|pass|sig|signature|session|"
    r"sessionid|sid|jwt|otp|code|hash|reset|ticket|credential|x-amz-signature|x-amz-credential)$",
    re.IGNORECASE,
)
_RANDOMISH = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-.~%+/=]{24,}")


@register(
    "url",
    placeholder="[URL]",
    order=10,
    trigger=r"https?://|www\.",
    pattern=r"\b(?:https?://|www\.)[^\s<>\"'\[\]]+[^\s<>\"'\[\].,;:!?)]",
    flags=re.IGNORECASE,
)
def _secret_url(url: str) -> bool:
    """A URL with credentials in it: user:password@, a secret-named or a long random query value."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.password or (parts.username and "@" in parts.netloc):
        return True
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAM.search(name) and value:
            return True
        if _RANDOMISH.fullmatch(value):
            return True
    # tokens also travel in fragments (OAuth implicit flow: #access_token=...)
    return any(_SECRET_PARAM.search(n) and v for n, v in parse_qsl(parts.fragment))


@register(
    "email",
    placeholder="[EMAIL]",
    order=20,
    trigger="@",
    pattern=r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b",
)
def _any_email(_: str) -> bool:
    return True


@register(
    "iban",
    placeholder="[IBAN]",
    order=30,
    trigger=r"\d",
    # Country code + check digits + BBAN, grouped by four or compact; also the Polish 26-digit
    # NRB that is usually written without "PL" (validated as a PL IBAN).
    pattern=r"(?<![\w])(?:[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?|\d{2}(?:[ ]?\d{4}){6})(?![\w])",
)
def _iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if compact.isdigit():
        return len(compact) == 26 and iban_valid("PL" + compact)
    return iban_valid(compact)


@register(
    "card",
    placeholder="[CARD]",
    order=40,
    trigger=r"\d",
    # 13-19 digits written compact, in groups of four, or Amex-style 4-6-5
    # (not inside a longer grouped number such as a mistyped IBAN)
    pattern=(
        r"(?<![\d\-])(?<!\d[ \-])"
        r"(?:\d{13,19}|\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,3})?|\d{4}[ \-]\d{6}[ \-]\d{4,5})"
        r"(?![\d\-])(?![ \-]\d)"
    ),
)
def _card(candidate: str) -> bool:
    digits = _digits(candidate)
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits)


@register("pesel", placeholder="[PESEL]", order=50, trigger=r"\d", pattern=r"(?<![\d\-])\d{11}(?![\d\-])")
def _pesel(candidate: str) -> bool:
    return pesel_valid(candidate)


@register(
    "hetu",
    placeholder="[HETU]",
    order=60,
    trigger=r"\d",
    pattern=r"(?<![\w+\-])\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y](?![\w])",
    flags=re.IGNORECASE,
)
def _hetu(candidate: str) -> bool:
    return hetu_valid(candidate)


# Phone numbers. The accepted shapes each constrain the digit count so that prices, dates and
# order ids survive:
#   * international: "+48 600 700 800", "+358 40 1234567", "0049 30 1234567", "+44 (0)20 7946 0958"
#   * national with trunk zero (FI, UA, DE, UK): "040 123 4567", "(067) 123-45-67", "030 12345678"
#   * Polish/Ukrainian 9-digit groups without trunk zero: "600 700 800", "600-700-800"
#   * (``phone_cue``) 9-15 plain digits right after a cue word: "tel. 600700800", "puh 401234567"
_SEP = r"[ \-./]?"
_PHONE = (
    r"(?<![\w+])(?:"
    r"(?:\+|00)\d{1,3}" + _SEP + r"(?:\(0?\d{1,4}\)" + _SEP + r")?\d{1,4}(?:" + _SEP + r"\d{2,4}){1,4}"
    r"|\(?0\d{1,4}\)?" + _SEP + r"\d{2,4}(?:" + _SEP + r"\d{2,4}){0,3}"
    r"|[1-9]\d{2}[ \-]\d{3}[ \-]\d{3}"
    r")(?![\w])"
)
_PHONE_CUE = (
    r"\b(?:tel|telefon|telefonu|phone|puh|puhelin|mob|mobile|handy|тел|телефон)\.?"
    r"(?:\s*(?:nr|no|number|numer|numero|номер)\.?)?\s*:?\s*(?P<pii>\d{9,15})(?![\w])"
)


@register("phone_cue", placeholder="[PHONE]", order=95, pattern=_PHONE_CUE, flags=re.IGNORECASE, trigger=r"\d")
def _phone_after_cue(candidate: str) -> bool:
    return True


@register("phone", placeholder="[PHONE]", order=90, pattern=_PHONE, flags=re.IGNORECASE, trigger=r"\d")
def _phone(candidate: str) -> bool:
    digits = _digits(candidate)
    if candidate.startswith(("+", "00")):
        return 8 <= len(digits) <= 15
    if candidate.lstrip("(").startswith("0"):
        # a trunk zero plus 8-11 digits; dates such as 01.02.2024 have only 8 digits in all
        return 9 <= len(digits) <= 12 and not _looks_like_date(candidate)
    return 9 <= len(digits) <= 15


_DATE_LIKE = re.compile(r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}")


def _looks_like_date(candidate: str) -> bool:
    return bool(_DATE_LIKE.fullmatch(candidate.strip()))
