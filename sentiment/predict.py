"""Review text -> calibrated score with a loaded artifact (evaluation checks, batch scoring)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .artifact import Artifact
from .encoding import encode_many
from .inference import calibrated, predict_logits
from .preprocess import review_to_words
from .training_files import EncodedSet


class Predictor:
    """Scores raw reviews with the artifact's own preprocessing, dictionary and calibration."""

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact

    def encode(self, reviews: Sequence[str]) -> EncodedSet:
        return self.encode_docs([review_to_words(r) for r in reviews])

    def encode_docs(self, docs: Sequence[Sequence[str]]) -> EncodedSet:
        """Stems of each review -> fixed-length rows the model reads."""
        ids, lengths = encode_many(self.artifact.word_dict, docs, self.artifact.sequence_length, for_model=True)
        return EncodedSet(np.zeros(len(docs), dtype=np.int64), lengths.astype(np.int64), ids.astype(np.int64))

    def scores_of_encoded(self, rows: EncodedSet) -> np.ndarray:
        logits = predict_logits(self.artifact.model, rows)
        return calibrated(logits, self.artifact.temperature)

    def scores(self, reviews: Sequence[str]) -> np.ndarray:
        """Probability that each review is positive."""
        return self.scores_of_encoded(self.encode(reviews))
