"""The PyTorch network, its artifact format (nothing pickled), scoring and explanations: what the model
container and training share. torch and numpy only."""
