"""Review text -> calibrated score with a loaded model (batch scoring, drift, evaluation checks): the
artifact's own preprocessing, dictionary and calibration, with any scoring model (ONNX graphs here,
the PyTorch network in training)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from sentiment.scoring.chunks import ScoringModel, calibrated, score_rows
from sentiment.scoring.encoding import PaddedRows, encode_many
from sentiment.text.preprocess import preprocessor
from sentiment.text.vocab import WordDict


class TextModel(ScoringModel, Protocol):
    """A scoring model with its word dictionary and settings."""

    @property
    def word_dict(self) -> WordDict: ...

    @property
    def sequence_length(self) -> int: ...

    @property
    def temperature(self) -> float: ...


class TextScorer:
    """Scores raw reviews with the model's own preprocessing, dictionary and calibration."""

    def __init__(self, model: TextModel, parallel: int = 1) -> None:
        self.model, self.parallel = model, parallel
        self.preprocessor = preprocessor(model.word_dict.preprocessor)

    def encode(self, reviews: Sequence[str]) -> PaddedRows:
        return self.encode_docs([self.preprocessor.words(r) for r in reviews])

    def encode_docs(self, docs: Sequence[Sequence[str]]) -> PaddedRows:
        """Stems of each review -> fixed-length rows the model reads."""
        ids, lengths = encode_many(self.model.word_dict, docs, self.model.sequence_length, for_model=True)
        return PaddedRows(ids.astype(np.int64), lengths.astype(np.int64))

    def score_encoded(self, rows: PaddedRows) -> tuple[np.ndarray, np.ndarray | None]:
        """P(positive) of each row and, when the model rates, its expected stars (1-10)."""
        scored = score_rows(self.model, rows.ids, rows.lengths, parallel=self.parallel)
        return calibrated(scored.logits, self.model.temperature), scored.stars

    def scores_of_encoded(self, rows: PaddedRows) -> np.ndarray:
        return self.score_encoded(rows)[0]

    def scores(self, reviews: Sequence[str]) -> np.ndarray:
        """Probability that each review is positive."""
        return self.scores_of_encoded(self.encode(reviews))
