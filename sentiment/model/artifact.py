"""The model artifact: a folder with everything needed to rebuild and serve the model, nothing pickled.

model.pt          state_dict tensors (loaded with torch.load(..., weights_only=True))
config.json       network config, preprocessing settings, vocabulary hash, calibration, training summary
word_dict.json    the word dictionary the model was trained with
metrics.json      evaluation on the test set (written by `sentiment evaluate`)
"""

from __future__ import annotations

import io
import json
import pickle
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sentiment.core.errors import ConfigError, DataError
from sentiment.core.files import write_atomic
from sentiment.model.network import NetworkConfig, SentimentNetwork
from sentiment.text.preprocess import preprocessor
from sentiment.text.vocab import WORD_DICT_FILE, WordDict

FORMAT = "sentiment-model/1"
WEIGHTS_FILE = "model.pt"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
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

    @property
    def network(self) -> NetworkConfig:
        return self.model.config

    @property
    def name(self) -> str:
        return self.network.name

    @property
    def version(self) -> str:
        """Short id of this exact model: the vocabulary hash and the training end time."""
        return f"{self.network.name}-{self.word_dict.sha256[:8]}-{self.training.get('finished', 'unknown')}"

    def config_dict(self) -> dict[str, Any]:
        return {
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


def save(artifact: Artifact, folder: str | Path) -> None:
    """Write the artifact files into `folder` (each written atomically)."""
    folder = Path(folder)
    buffer = io.BytesIO()
    torch.save(_compact(artifact.model.state_dict()), buffer)
    write_atomic(folder / WEIGHTS_FILE, buffer.getvalue())
    write_atomic(folder / CONFIG_FILE, json.dumps(artifact.config_dict(), indent=2).encode())
    write_atomic(folder / WORD_DICT_FILE, artifact.word_dict.to_json().encode())
    if artifact.metrics:
        save_metrics(folder, artifact.metrics)


def _compact(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Large float tables (the embeddings, the n-gram table) in float16: half the file, and scores move
    by less than 1e-3; loading casts them back to the model's float32."""
    return {k: v.half() if v.is_floating_point() and v.numel() >= LARGE_TENSOR else v for k, v in state.items()}


def save_metrics(folder: str | Path, metrics: dict[str, Any]) -> None:
    write_atomic(Path(folder) / METRICS_FILE, json.dumps(metrics, indent=2).encode())


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DataError(f"model artifact is missing {path.name} (looked in {path.parent})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from None


def load(folder: str | Path) -> Artifact:
    """Load and cross-check an artifact folder (or a folder holding SageMaker's model.tar.gz)."""
    folder = Path(folder)
    if not (folder / CONFIG_FILE).exists() and (folder / "model.tar.gz").is_file():
        folder = _unpack(folder / "model.tar.gz")
    config = _read_json(folder / CONFIG_FILE)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise DataError(f"{folder / CONFIG_FILE} is not a {FORMAT} config")
    word_dict = WordDict.load(folder / WORD_DICT_FILE)
    preprocessing = config.get("preprocessing", {})
    if preprocessing.get("vocab_sha256") != word_dict.sha256:
        raise DataError(
            f"word dictionary in {folder} (sha256 {word_dict.sha256[:12]}) is not the one the model was trained "
            f"with ({str(preprocessing.get('vocab_sha256'))[:12]}): refusing to score with mismatched ids"
        )
    try:
        preprocessor(word_dict.preprocessor)
    except ConfigError as exc:
        raise DataError(f"{folder}: {exc}") from None
    network = NetworkConfig.from_dict(config.get("network", {}))
    if network.vocab_size != word_dict.size:
        raise DataError(f"network expects {network.vocab_size} ids, the word dictionary has {word_dict.size}")
    model = SentimentNetwork(network)
    try:
        state = torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except FileNotFoundError:
        raise DataError(f"model artifact is missing {WEIGHTS_FILE} (looked in {folder})") from None
    except (RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        raise DataError(f"{folder / WEIGHTS_FILE} cannot be loaded as this network's weights: {exc}") from None
    model.eval()
    metrics_path = folder / METRICS_FILE
    return Artifact(
        model=model,
        word_dict=word_dict,
        sequence_length=int(preprocessing.get("sequence_length", 500)),
        temperature=float(config.get("calibration", {}).get("temperature", 1.0)),
        training=config.get("training", {}),
        metrics=_read_json(metrics_path) if metrics_path.exists() else {},
    )


def _unpack(archive: Path) -> Path:
    target = archive.parent / "model"
    if not (target / CONFIG_FILE).exists():
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    return target
