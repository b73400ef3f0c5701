"""IMDB movie-review sentiment: data pipeline, model, endpoint and local stack."""

__version__ = "0.1.0"
