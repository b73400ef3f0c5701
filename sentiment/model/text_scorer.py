"""Review text -> calibrated score with a loaded artifact (evaluation checks, batch scoring)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sentiment.model.artifact import Artifact
from sentiment.model.encoding import PaddedRows, encode_many
from sentiment.model.inference import calibrated, predict_logits, predict_outputs
from sentiment.text.preprocess import preprocessor


class TextScorer:
    """Scores raw reviews with the artifact's own preprocessing, dictionary and calibration."""

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact
        self.preprocessor = preprocessor(artifact.word_dict.preprocessor)

    def encode(self, reviews: Sequence[str]) -> PaddedRows:
        return self.encode_docs([self.preprocessor.words(r) for r in reviews])

    def encode_docs(self, docs: Sequence[Sequence[str]]) -> PaddedRows:
        """Stems of each review -> fixed-length rows the model reads."""
        ids, lengths = encode_many(self.artifact.word_dict, docs, self.artifact.sequence_length, for_model=True)
        return PaddedRows(ids.astype(np.int64), lengths.astype(np.int64))

    def scores_of_encoded(self, rows: PaddedRows) -> np.ndarray:
        logits = predict_logits(self.artifact.model, rows)
        return calibrated(logits, self.artifact.temperature)

    def score_encoded(self, rows: PaddedRows) -> tuple[np.ndarray, np.ndarray | None]:
        """P(positive) of each row and, when the model rates, its expected stars (1-10)."""
        logits, stars = predict_outputs(self.artifact.model, rows)
        return calibrated(logits, self.artifact.temperature), stars

    def scores(self, reviews: Sequence[str]) -> np.ndarray:
        """Probability that each review is positive."""
        return self.scores_of_encoded(self.encode(reviews))
