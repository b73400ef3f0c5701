"""Training and evaluation: what the SageMaker training job runs (its requirements are the `train`
group of pyproject.toml)."""
