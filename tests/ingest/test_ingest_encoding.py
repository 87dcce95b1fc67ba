"""Legacy code pages are told apart by whether the decoded letters make sense."""

from __future__ import annotations

import pytest

from voc.ingest import IngestError
from voc.ingest.encoding import detect_encoding, plausibility

SAMPLES = [
    ("Paczka przyszła późno, żenada. Zażółć gęślą jaźń", "cp1250"),
    ("„Świetnie”, ale za drogo", "cp1250"),
    ("Objednávka přišla pozdě, škoda", "cp1250"),
    ("Zażółć gęślą jaźń, świetnie", "iso8859_2"),
    ("Schöne Grüße aus München, die Größe passt", "latin-1"),
    ("Vi åkte till Åbo på söndag, många vänner där", "latin-1"),
    ("El envío a España tardó muchísimo, qué pena", "latin-1"),
    ("La livraison à Paris était très lente, déçu", "latin-1"),
    ("Palvelu oli hidasta, mutta henkilökunta ystävällistä. Kävin Åbossa", "latin-1"),
    ("Preis 20€ – zu teuer", "cp1252"),
    ("Доставка була швидкою, дякую, все чудово", "cp1251"),
]


@pytest.mark.parametrize(("text", "encoding"), SAMPLES)
def test_detected_encoding_reads_the_text_back(tmp_path, text, encoding):
    path = tmp_path / "in.csv"
    content = f'id,text\n1,"{text}"\n2,ok\n'
    path.write_bytes(content.encode(encoding))
    detected = detect_encoding(path)
    assert path.read_bytes().decode(detected) == content


def test_utf8_variants(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("text\nżółw\n", encoding="utf-8")
    assert detect_encoding(path) == "utf-8"
    path.write_text("text\nżółw\n", encoding="utf-8-sig")
    assert detect_encoding(path) == "utf-8-sig"


def test_garbage_bytes_are_refused_not_guessed(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(b"text\n" + bytes(range(0x80, 0x100)) * 3 + b"\n")
    with pytest.raises(IngestError, match=r"junk\.csv.*set `encoding`"):
        detect_encoding(path)


def test_plausibility_prefers_real_words():
    good, _ = plausibility("Zażółć gęślą jaźń")
    bad, share = plausibility("Za¿ó³æ gêœl¹ jaŸñ")
    assert good > bad and share < 0.6
