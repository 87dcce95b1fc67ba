"""Survey metrics with uncertainty, key drivers of the scores, and theme volumes over time."""

from voc.metrics.drivers import DRIVER_COLUMNS, IMPACT_DEFINITIONS, impact_metric, key_drivers, theme_drivers
from voc.metrics.intervals import mean_interval, nps_interval, wilson_interval
from voc.metrics.periods import PERIODS, choose_period, latest_sufficient, resolve_period
from voc.metrics.survey import METRIC_COLUMNS, compute_survey_metrics
from voc.metrics.trends import VOLUME_COLUMNS, theme_volumes

__all__ = [
    "DRIVER_COLUMNS",
    "IMPACT_DEFINITIONS",
    "PERIODS",
    "choose_period",
    "impact_metric",
    "key_drivers",
    "latest_sufficient",
    "resolve_period",
    "METRIC_COLUMNS",
    "VOLUME_COLUMNS",
    "compute_survey_metrics",
    "mean_interval",
    "nps_interval",
    "theme_drivers",
    "theme_volumes",
    "wilson_interval",
]
