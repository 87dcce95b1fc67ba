"""Property tests: random bytes, random CSV shapes and random values never end in a traceback.

Through the ingest node every input either raises the one user-facing error (IngestError, with
the file named) or yields batches whose rows add up; through the CLI every input exits 0 or 2
with no traceback.
"""

from __future__ import annotations

import csv
import io
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc.ingest.errors import IngestError

_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_cell = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            '"',
            '""',
            "=1+1",
            "-3",
            "7.5",
            "10",
            "11",
            "NaN",
            "2026-13-45",
            "15.01.2026",
            "2026-01-02T10:00:00+02:00",
            "\x00",
            "\ufeff",
            "a,b",
            "x\ny",
            "jan@example.com",
            "9/10",
            "1e400",
        ]
    ),
)


def _check(kit, path, columns, **source):
    try:
        ingested = kit.ingest(path, columns=columns, **source)
    except IngestError as exc:
        assert path.name in str(exc)
        return None
    assert kit.accounted(ingested)
    assert ingested.records["text"].map(lambda t: isinstance(t, str)).all()
    return ingested


@_FAST
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".jsonl", ".json", ".xlsx", ".tsv"]))
def test_random_bytes_never_crash_ingest(kit, tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"input{suffix}"
    path.write_bytes(data)
    _check(kit, path, {"text": "text"})


@_FAST
@given(
    header=st.lists(st.text(alphabet=string.ascii_letters + ' ,;\t"', min_size=0, max_size=6), min_size=1, max_size=5),
    rows=st.lists(st.lists(_cell, max_size=7), max_size=12),
)
def test_random_csv_shapes_never_crash_ingest(kit, tmp_path_factory, header, rows):
    path = tmp_path_factory.mktemp("shape") / "input.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", *header])
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass")
    _check(kit, path, {"text": "text"})


@_FAST
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "id": _cell,
                "text": _cell,
                "date": _cell,
                "score": _cell,
                "type": _cell,
                "customer": _cell,
                "segment": _cell,
                "churn": _cell,
                "value": _cell,
            }
        ),
        max_size=15,
    )
)
def test_random_values_in_every_mapped_field_never_crash_ingest(kit, tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("values") / "input.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8", errors="surrogatepass")
    columns = {
        "text": "text",
        "id": "id",
        "date": "date",
        "score": "score",
        "score_type_column": "type",
        "customer": "customer",
        "segments": ["segment"],
        "churn": "churn",
        "value": "value",
    }
    ingested = _check(kit, path, columns)
    if ingested is not None:
        assert ingested.quarantine["reason"].map(bool).all()


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=300))
def test_random_bytes_through_the_cli_end_in_exit_0_or_2_without_traceback(kit, tmp_path_factory, data):
    root = tmp_path_factory.mktemp("cli")
    path = root / "input.csv"
    path.write_bytes(b"text\n" + data)
    result = kit.Cli(root).run(path)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
