"""Flow tasks retry faults that may heal (with backoff) and never bad input."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.xdist_group("prefect")]


def _flaky(errors: list[Exception]):
    calls = []

    def read_source() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "rows"

    return read_source, calls


def _run(func, retries: int):
    from prefect import flow

    from flows.nightly import _as_task
    from voc.config import load_settings
    from voc.pipeline import Node

    settings = load_settings(schedule={"retries": 3, "retry_backoff_s": 0.01})
    node = Node("ingest", func, (), ("result",), retries=retries)

    @flow(name="voc-retry-check")
    def check():
        return _as_task(node, {"settings": settings})

    return check(return_state=True)


def test_transient_faults_are_retried_until_they_heal(prefect_api):
    from voc.errors import SourceUnavailableError, StoreLockedError

    func, calls = _flaky([SourceUnavailableError("db timed out"), StoreLockedError("busy")])
    state = _run(func, retries=2)
    assert state.is_completed() and state.result(_sync=True) == {"result": "rows"}
    assert len(calls) == 3


def test_bad_input_fails_at_the_first_attempt(prefect_api):
    from voc.errors import InputError

    func, calls = _flaky([InputError("feedback.csv, column 'text': not found")])
    state = _run(func, retries=2)
    assert state.is_failed() and "column 'text'" in state.message
    assert len(calls) == 1


def test_retries_stop_at_the_node_limit(prefect_api):
    from voc.errors import SourceUnavailableError

    func, calls = _flaky([SourceUnavailableError(f"timeout {i}") for i in range(5)])
    assert _run(func, retries=1).is_failed()
    assert len(calls) == 2
