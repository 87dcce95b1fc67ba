"""Business impact: the priority list, the signals counts hide, alerts and the CX taxonomy.

Entry points: :func:`rank_priorities`, :func:`detect_signals` (registry :data:`SIGNALS`),
:func:`detect_alerts`, :func:`deliver_alerts`, :func:`map_taxonomy`, :func:`score_cx_areas`.
"""

from voc.impact._frames import has_customer_ids
from voc.impact.alerts import ALERT_COLUMNS, detect_alerts
from voc.impact.priorities import rank_priorities
from voc.impact.signals import SIGNALS, SignalResult, detect_signals, register_signal
from voc.impact.taxonomy import map_taxonomy, score_cx_areas
from voc.impact.webhook import deliver_alerts

__all__ = [
    "has_customer_ids",
    "ALERT_COLUMNS",
    "SIGNALS",
    "SignalResult",
    "deliver_alerts",
    "detect_alerts",
    "detect_signals",
    "map_taxonomy",
    "rank_priorities",
    "register_signal",
    "score_cx_areas",
]
