"""Check a night's results against what the sample planted, through the themes the run discovered.

The sample's truth names *planted* themes ("app_crash", "warranty_claim"); a night names its own
discovered themes ("app / update"). :func:`match_planted_themes` links the two by the records they
share, and :func:`check_planted_scenarios` asks of each planted scenario whether the run's own
outputs (alerts, unsaid signals, priorities) point at a discovered theme that stands for it. The
end-to-end tests assert it and ``python -m bench.planted_check`` prints it: the scenarios must be
found by the pipeline, not handed to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

#: A discovered theme stands for a planted one when at least this share of its records carry it.
MIN_PRECISION = 0.5

SCENARIO_COLUMNS = ("scenario", "expected", "found", "theme_id", "theme_label", "evidence")


def match_planted_themes(record_themes: pd.DataFrame, planted: dict[str, Any]) -> pd.DataFrame:
    """For every discovered theme, the planted theme most of its records carry.

    Parameters
    ----------
    record_themes : DataFrame
        ``record_id``, ``theme_id`` (one row per record and discovered theme).
    planted : dict
        The generator's truth (``planted.json``): ``records`` with each record's planted themes.

    Returns
    -------
    DataFrame, one row per discovered theme: ``theme_id``, ``planted_theme``, ``precision`` (share of
    the theme's records that carry it), ``recall`` (share of the planted theme's records it holds),
    ``n_records``.
    """
    truth = pd.DataFrame(
        [(r["feedback_id"], t) for r in planted["records"] for t in r["themes"]], columns=["record_id", "planted_theme"]
    )
    found = record_themes.loc[record_themes["theme_id"] >= 0, ["record_id", "theme_id"]].drop_duplicates()
    if found.empty or truth.empty:
        return pd.DataFrame(columns=["theme_id", "planted_theme", "precision", "recall", "n_records"])
    sizes = found.groupby("theme_id")["record_id"].nunique()
    planted_sizes = truth.groupby("planted_theme")["record_id"].nunique()
    pairs = found.merge(truth, on="record_id").groupby(["theme_id", "planted_theme"]).size().rename("n").reset_index()
    best = pairs.sort_values(["theme_id", "n", "planted_theme"], ascending=[True, False, True]).drop_duplicates(
        "theme_id"
    )
    best["precision"] = best["n"] / best["theme_id"].map(sizes)
    best["recall"] = best["n"] / best["planted_theme"].map(planted_sizes)
    best["n_records"] = best["theme_id"].map(sizes)
    return best[["theme_id", "planted_theme", "precision", "recall", "n_records"]].reset_index(drop=True)


def _stands_for(matches: pd.DataFrame) -> dict[int, str]:
    good = matches[matches["precision"] >= MIN_PRECISION]
    return dict(zip(good["theme_id"].astype(int), good["planted_theme"]))


def _row(
    scenario: str, expected: str, theme_id: Any = None, label: Any = None, evidence: str = "", found: bool | None = None
):
    return {
        "scenario": scenario,
        "expected": expected,
        "found": bool(found if found is not None else theme_id is not None),
        "theme_id": None if theme_id is None else int(theme_id),
        "theme_label": label,
        "evidence": evidence,
    }


def _first_standing_for(table: pd.DataFrame, target: str, stands_for: dict[int, str]) -> pd.Series | None:
    if table is None or table.empty or "theme_id" not in table.columns:
        return None
    hits = table[table["theme_id"].map(lambda t: stands_for.get(int(t)) == target if pd.notna(t) else False)]
    return None if hits.empty else hits.iloc[0]


def _check_spike(run: dict[str, Any], truth: dict[str, Any], stands_for: dict[int, str]) -> dict[str, Any]:
    alerts = run["alerts"]
    spikes = alerts[alerts["kind"] == "spike"] if not alerts.empty else alerts
    hit = _first_standing_for(spikes, truth["theme"], stands_for)
    if hit is None:
        return _row("spike", truth["theme"], evidence=f"{len(spikes)} spike alerts, none on a theme standing for it")
    return _row(
        "spike", truth["theme"], hit["theme_id"], hit.get("theme_label"), str(hit.get("message", "spike alert"))
    )


#: The low-volume theme must reach this priority rank (and outrank its volume rank) to count as found:
#: the top five of an analyst-level list of about twenty themes, what a CX manager acts on first.
TOP_PRIORITIES = 5


def _check_low_volume(run: dict[str, Any], truth: dict[str, Any], stands_for: dict[int, str]) -> dict[str, Any]:
    """Found when impact lifts the theme into the top priorities above its rank by volume."""
    priorities = run["priorities"].assign(volume_rank=lambda p: p["n_records"].rank(ascending=False, method="min"))
    hit = _first_standing_for(priorities.sort_values("rank"), truth["theme"], stands_for)
    if hit is None:
        return _row("low_volume_high_impact", truth["theme"], evidence="no ranked theme stands for it")
    unvoiced = run["signals"]["unvoiced_high_impact"].table
    quiet = not unvoiced.empty and int(hit["theme_id"]) in set(unvoiced["theme_id"].astype(int))
    ok = int(hit["rank"]) <= TOP_PRIORITIES and int(hit["rank"]) < int(hit["volume_rank"])
    evidence = (
        f"priority rank {int(hit['rank'])}, volume rank {int(hit['volume_rank'])}"
        f"{'; also listed as unvoiced high impact' if quiet else ''}: {hit.get('why', '')}"
    )
    return _row("low_volume_high_impact", truth["theme"], hit["theme_id"], hit.get("theme_label"), evidence, found=ok)


def _check_silent(run: dict[str, Any], truth: dict[str, Any], stands_for: dict[int, str]) -> dict[str, Any]:
    result = run["signals"]["silent_detractors"]
    count = int(result.summary.get("n_silent_detractors", 0))
    top = result.table.iloc[0] if not result.table.empty else None
    place = f"{truth['segment']} / {truth['journey_stage']}"
    ok = (
        count >= 0.95 * truth["count"]
        and top is not None
        and (top["segment"], top["journey_stage"]) == (truth["segment"], truth["journey_stage"])
    )
    where = f"{top['segment']} / {top['journey_stage']}" if top is not None else "nowhere"
    return _row(
        "silent_detractors", place, evidence=f"{count} found (planted {truth['count']}), most in {where}", found=ok
    )


def _listed(
    scenario: str, table: pd.DataFrame, truth: dict[str, Any], stands_for: dict[int, str], what: str
) -> dict[str, Any]:
    """Found when a theme standing for the planted one is listed in ``table`` (``what`` names it)."""
    hit = _first_standing_for(table, truth["theme"], stands_for)
    if hit is None:
        return _row(scenario, truth["theme"], evidence=f"{len(table)} {what}, none standing for it")
    return _row(scenario, truth["theme"], hit["theme_id"], hit.get("theme_label"), f"listed among {len(table)} {what}")


def _check_blind_spot(run: dict[str, Any], truth: dict[str, Any], stands_for: dict[int, str]) -> dict[str, Any]:
    table = run["signals"]["survey_blind_spots"].table
    missing = table[table["direction"] == "missing_from_surveys"] if not table.empty else table
    return _listed("blind_spot", missing, truth, stands_for, "themes missing from survey comments")


def _check_emerging(run: dict[str, Any], truth: dict[str, Any], stands_for: dict[int, str]) -> dict[str, Any]:
    table = run["signals"]["emerging"].table
    themes = table[table["kind"] == "new_theme"] if not table.empty and "kind" in table.columns else table
    return _listed("emerging", themes, truth, stands_for, "new themes")


def _check_non_responders(run: dict[str, Any], truth: dict[str, Any], stands_for: dict[int, str]) -> dict[str, Any]:
    table = run["signals"]["non_responders"].table
    if table.empty:
        return _row("non_responders", "churn gap", evidence="no customer list", found=False)
    row = table.iloc[0]
    found_gap = row["churn_rate_non_responders"] - row["churn_rate_responders"]
    planted_gap = truth["churn_non_responders"] - truth["churn_responders"]
    return _row(
        "non_responders",
        "churn gap",
        evidence=f"churn {row['churn_rate_non_responders']:.0%} among non-responders "
        f"against {row['churn_rate_responders']:.0%}",
        found=bool(np.sign(found_gap) == np.sign(planted_gap)),
    )


#: Scenario name -> check of one run's outputs against its truth.
CHECKS: dict[str, Callable[[dict[str, Any], dict[str, Any], dict[int, str]], dict[str, Any]]] = {
    "spike": _check_spike,
    "low_volume_high_impact": _check_low_volume,
    "silent_detractors": _check_silent,
    "blind_spot": _check_blind_spot,
    "emerging": _check_emerging,
    "non_responders": _check_non_responders,
}


def check_planted_scenarios(run: dict[str, Any], planted: dict[str, Any]) -> pd.DataFrame:
    """Whether each planted scenario shows in a night's outputs, on the themes the night found.

    Parameters
    ----------
    run : dict
        A night's catalog (``RunResult.catalog``), or any dict with ``record_themes``, ``alerts``,
        ``priorities`` and ``signals`` (name -> result with ``table`` and ``summary``).
    planted : dict
        The generator's truth (``planted.json``).

    Returns
    -------
    DataFrame with :data:`SCENARIO_COLUMNS`, one row per scenario the sample planted.
    """
    stands_for = _stands_for(match_planted_themes(run["record_themes"], planted))
    rows = [
        check(run, planted["scenarios"][name], stands_for)
        for name, check in CHECKS.items()
        if name in planted["scenarios"]
    ]
    return pd.DataFrame(rows, columns=list(SCENARIO_COLUMNS))
