"""Seeded multilingual sample data with planted scenarios, and a theme benchmark.

``generate_sample`` / ``write_sample`` make the demo data set (feedback, customers and the truth
of what was planted); ``generate_theme_benchmark`` makes balanced five-language comments for
measuring whether one theme lands in one cluster across languages.
"""

from voc.sample.benchmark import generate_theme_benchmark
from voc.sample.catalog import THEME_IDS, THEMES, ThemeSpec
from voc.sample.generator import (
    CUSTOMER_COLUMNS,
    DEFAULT_END_DATE,
    FEEDBACK_COLUMNS,
    generate_sample,
    write_sample,
)

__all__ = [
    "CUSTOMER_COLUMNS",
    "DEFAULT_END_DATE",
    "FEEDBACK_COLUMNS",
    "THEMES",
    "THEME_IDS",
    "ThemeSpec",
    "generate_sample",
    "generate_theme_benchmark",
    "write_sample",
]
