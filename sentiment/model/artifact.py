"""The model artifact: a folder with everything needed to rebuild and serve the model, nothing pickled.

model.pt          state_dict tensors (loaded with torch.load(..., weights_only=True))
config.json       network config, preprocessing settings, vocabulary hash, calibration, training summary,
                  and the exported graphs with their sha256 (sentiment/model/export.py)
word_dict.json    the word dictionary the model was trained with
metrics.json      evaluation on the test set (written by `sentiment evaluate`)
scorer.onnx       the network's outputs as an ONNX graph, what the model server runs
explainer.onnx    the same with each position's share of the logit

config.json is read and checked by sentiment.scoring.manifest (no PyTorch): this module adds the
weights, and a PyTorch `Artifact` scores through the same interface as the graphs do.
"""

from __future__ import annotations

import io
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sentiment.core.errors import DataError
from sentiment.core.files import write_atomic
from sentiment.model.explain import explained
from sentiment.model.inference import device_of
from sentiment.model.network import NetworkConfig, SentimentNetwork
from sentiment.scoring.manifest import CONFIG_FILE, FORMAT, METRICS_FILE, read_manifest
from sentiment.text.vocab import WORD_DICT_FILE, WordDict

WEIGHTS_FILE = "model.pt"
LARGE_TENSOR = 1 << 16  # elements: tensors this large are stored in float16


@dataclass
class Artifact:
    """A loaded model with its dictionary and settings."""

    model: SentimentNetwork
    word_dict: WordDict
    sequence_length: int
    temperature: float = 1.0
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    graphs: dict[str, Any] = field(default_factory=dict)  # what export.py recorded of the ONNX graphs

    @property
    def network(self) -> NetworkConfig:
        return self.model.config

    @property
    def name(self) -> str:
        return self.network.name

    @property
    def rating_head(self) -> bool:
        return self.network.rating_head

    @property
    def vocab_size(self) -> int:
        return self.word_dict.size

    @property
    def vocab_sha256(self) -> str:
        return self.word_dict.sha256

    @property
    def version(self) -> str:
        """Short id of this exact model: the vocabulary hash and the training end time."""
        return f"{self.network.name}-{self.word_dict.sha256[:8]}-{self.training.get('finished', 'unknown')}"

    def config_dict(self) -> dict[str, Any]:
        config = {
            "format": FORMAT,
            "network": self.network.to_dict(),
            "preprocessing": {
                "preprocessor": self.word_dict.preprocessor,
                "sequence_length": self.sequence_length,
                "vocab_size": self.word_dict.size,
                "vocab_sha256": self.word_dict.sha256,
            },
            "calibration": {"temperature": self.temperature},
            "training": self.training,
        }
        return {**config, "graphs": self.graphs} if self.graphs else config

    def outputs(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits (and stars) of right-padded rows with the PyTorch network: the graphs' interface."""
        with torch.inference_mode():
            out = self.model.eval().outputs(*self._tensors(ids, lengths))
        return out.logits.double().cpu().numpy(), None if out.stars is None else out.stars.double().cpu().numpy()

    def explained(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        out, shares = explained(self.model, *self._tensors(ids, lengths))
        stars = None if out.stars is None else out.stars.double().cpu().numpy()
        return out.logits.double().cpu().numpy(), stars, shares.cpu().numpy()

    def _tensors(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        device = device_of(self.model)
        return torch.from_numpy(ids).long().to(device), torch.from_numpy(lengths).long().to(device)


def save(artifact: Artifact, folder: str | Path) -> None:
    """Write the artifact files into `folder` (each written atomically)."""
    folder = Path(folder)
    buffer = io.BytesIO()
    torch.save(_compact(artifact.model.state_dict()), buffer)
    write_atomic(folder / WEIGHTS_FILE, buffer.getvalue())
    save_config(artifact, folder)
    write_atomic(folder / WORD_DICT_FILE, artifact.word_dict.to_json().encode())
    if artifact.metrics:
        save_metrics(folder, artifact.metrics)


def save_config(artifact: Artifact, folder: str | Path) -> None:
    write_atomic(Path(folder) / CONFIG_FILE, json.dumps(artifact.config_dict(), indent=2).encode())


def _compact(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Large float tables (the embeddings, the n-gram table) in float16: half the file, and scores move
    by less than 1e-3; loading casts them back to the model's float32."""
    return {k: v.half() if v.is_floating_point() and v.numel() >= LARGE_TENSOR else v for k, v in state.items()}


def save_metrics(folder: str | Path, metrics: dict[str, Any]) -> None:
    write_atomic(Path(folder) / METRICS_FILE, json.dumps(metrics, indent=2).encode())


def load(folder: str | Path) -> Artifact:
    """Load and cross-check an artifact folder (or a folder holding SageMaker's model.tar.gz)."""
    manifest = read_manifest(folder)
    word_dict = manifest.word_dict
    network = NetworkConfig.from_dict(manifest.network)
    if network.vocab_size != word_dict.size:
        raise DataError(f"network expects {network.vocab_size} ids, the word dictionary has {word_dict.size}")
    model = SentimentNetwork(network)
    weights = manifest.folder / WEIGHTS_FILE
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except FileNotFoundError:
        raise DataError(f"model artifact is missing {WEIGHTS_FILE} (looked in {manifest.folder})") from None
    except (RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        raise DataError(f"{weights} cannot be loaded as this network's weights: {exc}") from None
    model.eval()
    return Artifact(
        model=model,
        word_dict=word_dict,
        sequence_length=manifest.sequence_length,
        temperature=manifest.temperature,
        training=manifest.training,
        metrics=manifest.metrics(),
        graphs=manifest.graphs,
    )
