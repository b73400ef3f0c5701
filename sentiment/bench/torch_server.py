"""The model server on the PyTorch network instead of its graphs, for the benchmarks' baseline only: the
same app, front and limits as `sentiment serve`, each worker scoring with eager torch on one thread
(as the server did before it moved to ONNX Runtime).

Usage: python -m sentiment.bench.torch_server MODEL_DIR PORT WORKERS [HOST]
"""

from __future__ import annotations

import sys

import torch

from sentiment.model.artifact import load
from sentiment.serving.app import ModelServer
from sentiment.serving.main import LIMITS
from sentiment.web.server import serve


def torch_app(model_dir: str, workers: int) -> ModelServer:
    torch.set_num_threads(1)
    return ModelServer(load(model_dir), workers=workers)


if __name__ == "__main__":
    model_dir, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    host = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
    serve(lambda: torch_app(model_dir, workers), host, port, workers, LIMITS, "torch-model-server")
