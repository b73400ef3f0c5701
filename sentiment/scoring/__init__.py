"""Scoring without PyTorch: the artifact's manifest, its ONNX graphs under ONNX Runtime, encoding,
calibration and length-sorted chunked scoring (the model container, batch scoring and drift run this;
training and evaluation score with the PyTorch network, sentiment.model)."""
