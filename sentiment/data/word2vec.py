"""Word vectors for the dictionary, learnt with word2vec (gensim) on training + unlabelled reviews.

The 50,000 unlabelled reviews of `train/unsup` teach the vectors which stems behave alike
("gem" near "masterpiec"), which a 22,500-review training set alone cannot; the network then
starts from these vectors instead of random ones. Test reviews are never used. Data preparation
only: training reads the result (embeddings.npy) and never needs gensim.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from gensim.models import Word2Vec

from sentiment.text.vocab import RESERVED, WordDict

log = logging.getLogger(__name__)


def train_word2vec(
    docs: Sequence[Sequence[str]], word_dict: WordDict, dim: int, epochs: int = 5, workers: int = 2, seed: int = 42
) -> np.ndarray:
    """A (word_dict.size, dim) float32 matrix: row 0 (padding) zeros, row 1 (unknown) the mean vector."""
    model = Word2Vec(
        sentences=[list(d) for d in docs],
        vector_size=dim,
        window=5,
        min_count=1,
        sg=0,
        negative=5,
        epochs=epochs,
        workers=max(1, workers),
        seed=seed,
        max_final_vocab=word_dict.size * 4,
    )
    matrix = np.zeros((word_dict.size, dim), dtype=np.float32)
    found = 0
    rng = np.random.default_rng(seed)
    scale = float(model.wv.vectors.std())
    for i, word in enumerate(word_dict.words, start=RESERVED):
        if word in model.wv.key_to_index:
            matrix[i] = model.wv[word]
            found += 1
        else:
            matrix[i] = rng.normal(0.0, scale, dim)
    matrix[1] = matrix[RESERVED:].mean(axis=0)
    log.info("word2vec: %d of %d dictionary stems have vectors", found, len(word_dict.words))
    return matrix
