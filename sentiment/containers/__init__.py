"""Containers as AWS runs them, built and run with the Docker engine here: base images (pulled or local
stand-ins), the model image, the training-image stand-in."""
