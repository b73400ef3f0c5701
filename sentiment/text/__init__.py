"""The text pipeline (pure Python, no torch, no numpy): review text -> tokens with spans -> word ids.

The Lambda layer carries this package (and `sentiment.api`); training, batch scoring and the
benchmarks use the same copy."""
