"""The artifact's exported graphs under ONNX Runtime: what the model server scores with.

Two graphs (sentiment/model/export.py writes them, checked against the PyTorch network):
- `scorer`: (ids int64 (B, T), lengths int64 (B,)) -> logits (B,) [, stars (B,)];
- `explainer`: the same, plus shares (B, T): each position's part of the logit.
Sessions run one intra-op thread (one server worker per core does the parallel work), sequentially,
without ONNX Runtime's memory arena (it kept the peak of the largest request for good: 250 MB against
120 MB per worker, at the same speed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.core import config
from sentiment.scoring.manifest import GRAPH_ROLES, Manifest, read_manifest
from sentiment.text.vocab import WordDict


def session(path: Path, threads: int = 1) -> Any:
    """An ONNX Runtime session of the graph at `path`. onnxruntime is imported here, not at module level:
    the server's master process never loads it, so the workers it forks start from a clean runtime
    (a runtime imported before a fork crashed its children on exit)."""
    import onnxruntime as ort

    ort.disable_telemetry_events()  # it kept a usage database in ~/.cache, written on exit (0.5 s per worker)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass
class GraphModel:
    """A loaded artifact scored by its graphs: the same fields the PyTorch Artifact offers scoring."""

    manifest: Manifest
    threads: int = 1
    _sessions: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, folder: str | Path, threads: int | None = None) -> GraphModel:
        """The artifact in `folder` with both graphs open (DataError naming `sentiment export` without
        them)."""
        count = threads or int(os.environ.get(config.ENV_SCORING_THREADS, "1"))
        model = cls(read_manifest(folder), count)
        paths = model.manifest.graph_paths()
        model._sessions = {role: session(paths[role], count) for role in GRAPH_ROLES}
        return model

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def sequence_length(self) -> int:
        return self.manifest.sequence_length

    @property
    def temperature(self) -> float:
        return self.manifest.temperature

    @property
    def rating_head(self) -> bool:
        return self.manifest.rating_head

    @property
    def vocab_size(self) -> int:
        return self.manifest.vocab_size

    @property
    def vocab_sha256(self) -> str:
        return self.manifest.vocab_sha256

    @cached_property
    def word_dict(self) -> WordDict:
        return self.manifest.word_dict

    def _run(self, role: str, ids: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        feeds = {"ids": np.ascontiguousarray(ids, dtype=np.int64), "lengths": np.asarray(lengths, dtype=np.int64)}
        return list(self._sessions[role].run(None, feeds))

    def outputs(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits (n,) and, with a rating head, expected stars (n,), of right-padded rows."""
        logits, *stars = self._run("scorer", ids, lengths)
        return logits.astype(np.float64), stars[0].astype(np.float64) if stars else None

    def explained(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Logits, stars (or None) and each position's share of the logit (n, T)."""
        logits, *rest = self._run("explainer", ids, lengths)
        stars = rest[0].astype(np.float64) if len(rest) == 2 else None
        return logits.astype(np.float64), stars, rest[-1]
