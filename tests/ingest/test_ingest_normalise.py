"""Unicode and whitespace normalisation."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from voc.ingest.normalise import normalise_text


def test_nfc_whitespace_and_controls():
    decomposed = "Zamo\u0301wienie\u00a0\u00a0 przyszło\r\n\tpóźno\u200b!\x07"
    assert normalise_text(decomposed) == "Zamówienie przyszło późno!"
    assert normalise_text("  ") == "" and normalise_text(None) == ""


def test_ordinary_text_is_untouched():
    assert normalise_text("nothing to add") == "nothing to add"
    assert normalise_text("👩\u200d💻 works") == "👩\u200d💻 works"  # ZWJ keeps the emoji whole


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="ÂÃÅĹÐРС³¡¼‚€ \u2003\x80\u200bżółabc")))
def test_normalise_is_idempotent_and_nfc(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip() and "  " not in once


def test_upstream_mojibake_is_repaired_and_real_text_left_alone():
    for text in ["Zażółć gęślą jaźń", "Schöne Grüße", "Доставка була швидкою"]:
        for encoding in ("cp1252", "cp1250", "cp1251"):
            try:
                garbled = text.encode("utf-8").decode(encoding)
            except UnicodeDecodeError:
                continue
            assert normalise_text(garbled) == text, (text, encoding)
    for text in ["SÃO PAULO", "Ärger über Öl", "Ångström", "Січень, СІЧЕНЬ", "Åbo"]:
        assert normalise_text(text) == text
