"""voc: multilingual Voice-of-Customer text mining (themes, sentiment, metrics, priorities)."""

__version__ = "0.1.0"
