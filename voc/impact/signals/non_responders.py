"""Non-responders: customers on the list who never answer, against those who do.

Method
------
Given a customer list (``customer_id``, ``value``, ``churned``, optionally ``segment``), a customer
responded when any record with a score or from a survey carries their id. Churn rates are compared
with Fisher's exact test and values with the Mann-Whitney U test, overall and per segment when the
list has one. Non-responders are invisible to survey metrics; if they churn more or are worth
more, the scores overstate how healthy the base is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from voc.impact.signals.base import SignalContext, SignalResult, register_signal


def _compare(group: pd.DataFrame) -> dict:
    """Row of the comparison for one slice of the customer list (needs ``responded``)."""
    resp, non = group.loc[group["responded"]], group.loc[~group["responded"]]
    row: dict[str, float] = {"n_responders": len(resp), "n_non_responders": len(non)}
    for name, part in (("responders", resp), ("non_responders", non)):
        churn = part["churned"].dropna().astype(float)
        row[f"churn_rate_{name}"] = float(churn.mean()) if len(churn) else np.nan
        row[f"mean_value_{name}"] = float(part["value"].mean()) if part["value"].notna().any() else np.nan
    c_r, c_n = resp["churned"].dropna().astype(bool), non["churned"].dropna().astype(bool)
    row["churn_p_value"] = (
        stats.fisher_exact([[int(c_n.sum()), int((~c_n).sum())], [int(c_r.sum()), int((~c_r).sum())]])[1]
        if len(c_r) and len(c_n)
        else np.nan
    )
    v_r, v_n = resp["value"].dropna(), non["value"].dropna()
    row["value_p_value"] = stats.mannwhitneyu(v_n, v_r).pvalue if len(v_r) and len(v_n) else np.nan
    row["non_responder_value"] = float(v_n.sum()) if len(v_n) else np.nan
    return row


@register_signal("non_responders")
def non_responders(ctx: SignalContext) -> SignalResult:
    """Customer list columns: ``customer_id``, ``value`` (or ``customer_value``), ``churned``,
    optional ``segment``.

    Table columns: segment ("(all)" first), n_responders, n_non_responders, churn_rate_responders,
    churn_rate_non_responders, mean_value_responders, mean_value_non_responders, churn_p_value,
    value_p_value, non_responder_value."""
    result = SignalResult(
        name="non_responders",
        title="Customers who never answer",
        explanation=(
            "Customers on the customer list with no survey answer, compared with those who answered: churn "
            "rate (Fisher's exact test) and customer value (Mann-Whitney U), overall and per segment."
        ),
    )
    customers = ctx.customers
    if customers is None or customers.empty or "customer_id" not in customers:
        result.summary = {"note": "no customer list given"}
        return result
    records = ctx.records
    answered = records["score"].notna() if "score" in records else pd.Series(False, index=records.index)
    if "source_type" in records:
        answered |= records["source_type"].eq("survey").fillna(False)
    responder_ids = set(records.loc[answered & records["customer_id"].notna(), "customer_id"].astype(str))
    frame = customers.copy()
    if "value" not in frame and "customer_value" in frame:  # the records' name for the same field
        frame = frame.rename(columns={"customer_value": "value"})
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["responded"] = frame["customer_id"].isin(responder_ids)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce") if "value" in frame else np.nan
    frame["churned"] = frame["churned"].astype("boolean").astype(float) if "churned" in frame else np.nan
    rows = [{"segment": "(all)", **_compare(frame)}]
    if "segment" in frame:
        for segment, part in frame.groupby(frame["segment"].fillna("(none)").astype(str), sort=True):
            rows.append({"segment": segment, **_compare(part)})
    result.table = pd.DataFrame(rows)
    overall = rows[0]
    result.summary = {
        "n_customers": int(len(frame)),
        "response_rate": round(float(frame["responded"].mean()), 4),
        "churn_rate_responders": overall["churn_rate_responders"],
        "churn_rate_non_responders": overall["churn_rate_non_responders"],
        "non_responder_value": overall["non_responder_value"],
    }
    cols = [c for c in ("customer_id", "segment", "value", "churned") if c in frame]
    result.examples = (
        frame.loc[~frame["responded"], cols]
        .sort_values(["value", "customer_id"], ascending=[False, True])
        .head(5)
        .reset_index(drop=True)
    )
    return result
