"""The linear references of the model benchmark (scikit-learn): TF-IDF over word 1-2-grams with logistic
regression, and NBSVM (Wang & Manning 2012) over exact word 1-3-grams."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
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


@dataclass
class NBSVM:
    """NB-weighted logistic regression over binary n-gram features (exact, not hashed)."""

    vectorizer: CountVectorizer
    ratio: np.ndarray
    classifier: LogisticRegression
    train_seconds: float

    def scorer(self, words: Callable[[str], list[str]]) -> Callable[[Sequence[str]], np.ndarray]:
        """Scores of raw texts, tokenised by `words`."""

        def score(texts: Sequence[str]) -> np.ndarray:
            features = self.vectorizer.transform([words(t) for t in texts]) @ sp.diags(self.ratio)
            return self.classifier.predict_proba(features)[:, 1]  # type: ignore[no-any-return]

        return score


def fit_nbsvm(docs: Sequence[list[str]], labels: np.ndarray, order: int = 3, c: float = 0.1) -> NBSVM:
    """Fit on tokenised reviews: binary 1..`order`-grams, NB log-count ratios, L2 logistic regression."""
    started = time.perf_counter()
    vectorizer = CountVectorizer(
        tokenizer=_same, preprocessor=_same, token_pattern=None, lowercase=False, binary=True, ngram_range=(1, order)
    )  # the docs are word lists already
    x = vectorizer.fit_transform(docs)
    p = 1 + np.asarray(x[labels == 1].sum(axis=0)).ravel()
    q = 1 + np.asarray(x[labels == 0].sum(axis=0)).ravel()
    ratio = np.log((p / p.sum()) / (q / q.sum()))
    classifier = LogisticRegression(C=c, solver="liblinear", max_iter=1000).fit(x @ sp.diags(ratio), labels)
    return NBSVM(vectorizer, ratio, classifier, time.perf_counter() - started)


def _same(doc: list[str]) -> list[str]:
    return doc
