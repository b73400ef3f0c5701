"""The classic serving path, for the serving benchmark only: raw text in, preprocessing in predict_fn.

Usage: python -m sentiment.bench.classic_server MODEL_DIR PORT
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

import torch

from sentiment.bench.preprocess import classic_review_to_words
from sentiment.model.artifact import load
from sentiment.scoring.chunks import calibrated
from sentiment.scoring.encoding import encode
from sentiment.web.server import Limits, serve


class ClassicApp:
    def __init__(self, model_dir: str) -> None:
        torch.set_num_threads(1)
        self.model = load(model_dir)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/ping":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        text = environ["wsgi.input"].read(size).decode("utf-8")
        words = classic_review_to_words(text)  # the per-word stopword list and stemmer
        encoded = encode(self.model.word_dict, words, self.model.sequence_length)
        with torch.inference_mode():
            logit = self.model.model(
                torch.from_numpy(encoded.ids[None, :]).long(), torch.tensor([max(encoded.length, 1)])
            )
        body = json.dumps({"score": float(calibrated(logit.double().numpy(), self.model.temperature)[0])}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


if __name__ == "__main__":
    model_dir, port = sys.argv[1], int(sys.argv[2])
    serve(lambda: ClassicApp(model_dir), "127.0.0.1", port, 2, Limits(max_body_bytes=5_000_000), "classic-endpoint")
