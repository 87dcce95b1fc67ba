"""DuckDB warehouse with versioned migrations; the only place that writes to disk between runs."""

from voc.store.warehouse import Store

__all__ = ["Store"]
