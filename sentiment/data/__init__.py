"""Data preparation (`sentiment data`): the IMDB archive, deterministic splits, tokens, word2vec, and the
training files."""
