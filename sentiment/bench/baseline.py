"""The strong linear reference: TF-IDF over word 1-2-grams + logistic regression (scikit-learn)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline


@dataclass
class Baseline:
    pipeline: Pipeline
    train_seconds: float

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))[:, 1]  # type: ignore[no-any-return]


def fit_tfidf_logistic(texts: Sequence[str], labels: np.ndarray, c: float = 8.0) -> Baseline:
    """Fit on raw review text (its own tokenizer; no stemming or stopword removal)."""
    started = time.perf_counter()
    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True, strip_accents="unicode"),
        LogisticRegression(C=c, max_iter=1000),
    )
    pipeline.fit(list(texts), labels)
    return Baseline(pipeline, time.perf_counter() - started)
