"""Prefect flows that orchestrate the `voc` library (the library itself never imports Prefect)."""
