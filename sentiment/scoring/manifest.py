"""An artifact's manifest: config.json (and the word dictionary) read and cross-checked without PyTorch.

config.json names the network, the preprocessing version and settings, the vocabulary's hash and
size, the calibration, the training summary and, once exported, the ONNX graphs with their hashes.
Both the PyTorch loader (sentiment.model.artifact) and ONNX Runtime scoring read it through here.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sentiment.core.errors import ConfigError, DataError
from sentiment.text.preprocess import preprocessor
from sentiment.text.vocab import WORD_DICT_FILE, WordDict

FORMAT = "sentiment-model/1"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
SAGEMAKER_ARCHIVE = "model.tar.gz"
GRAPH_FILES = {"scorer": "scorer.onnx", "explainer": "explainer.onnx"}  # the exported graphs, by role
GRAPH_ROLES = ("scorer", "explainer")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DataError(f"model artifact is missing {path.name} (looked in {path.parent})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact_folder(folder: str | Path) -> Path:
    """The artifact's folder: `folder`, or SageMaker's model.tar.gz in it unpacked beside it."""
    folder = Path(folder)
    if not (folder / CONFIG_FILE).exists() and (folder / SAGEMAKER_ARCHIVE).is_file():
        target = folder / "model"
        if not (target / CONFIG_FILE).exists():
            with tarfile.open(folder / SAGEMAKER_ARCHIVE) as tar:
                tar.extractall(target, filter="data")
        return target
    return folder


@dataclass(frozen=True)
class Manifest:
    """What config.json says of the model, checked: names, sizes, settings and graphs."""

    folder: Path
    config: dict[str, Any] = field(repr=False)

    @property
    def network(self) -> dict[str, Any]:
        return dict(self.config.get("network", {}))

    @property
    def name(self) -> str:
        return str(self.network.get("name", "unknown"))

    @property
    def preprocessing(self) -> dict[str, Any]:
        return dict(self.config.get("preprocessing", {}))

    @property
    def vocab_sha256(self) -> str:
        return str(self.preprocessing.get("vocab_sha256", ""))

    @property
    def vocab_size(self) -> int:
        return int(self.preprocessing.get("vocab_size", self.network.get("vocab_size", 0)))

    @property
    def sequence_length(self) -> int:
        return int(self.preprocessing.get("sequence_length", 500))

    @property
    def temperature(self) -> float:
        return float(self.config.get("calibration", {}).get("temperature", 1.0))

    @property
    def rating_head(self) -> bool:
        return bool(self.network.get("rating_head", False))

    @property
    def training(self) -> dict[str, Any]:
        return dict(self.config.get("training", {}))

    @property
    def version(self) -> str:
        """Short id of this exact model: the vocabulary hash and the training end time."""
        return f"{self.name}-{self.vocab_sha256[:8]}-{self.training.get('finished', 'unknown')}"

    @property
    def graphs(self) -> dict[str, Any]:
        return dict(self.config.get("graphs", {}))

    @cached_property
    def word_dict(self) -> WordDict:
        """The word dictionary, checked against the hash the model was trained with (loaded on first use:
        the model server never needs the words)."""
        words = WordDict.load(self.folder / WORD_DICT_FILE)
        if words.sha256 != self.vocab_sha256:
            raise DataError(
                f"word dictionary in {self.folder} (sha256 {words.sha256[:12]}) is not the one the model was "
                f"trained with ({self.vocab_sha256[:12]}): refusing to score with mismatched ids"
            )
        return words

    def metrics(self) -> dict[str, Any]:
        path = self.folder / METRICS_FILE
        return read_json(path) if path.exists() else {}

    def graph_paths(self) -> dict[str, Path]:
        """The exported graphs' files by role, each checked against the sha256 the export recorded (and
        the tables they share); DataError naming `sentiment export` when there are none."""
        if not all(isinstance(self.graphs.get(role), dict) for role in GRAPH_ROLES):
            raise DataError(
                f"the model in {self.folder} has no exported graphs: run `sentiment export --model-dir "
                f"{self.folder}` (the model server runs the ONNX graphs, not PyTorch)"
            )
        paths = {}
        for role, entry in self.graphs.items():
            if not isinstance(entry, dict) or "sha256" not in entry:
                continue
            path = self.folder / str(entry.get("file", ""))
            if not path.is_file():
                raise DataError(f"model artifact is missing {path.name} (looked in {self.folder})")
            if file_sha256(path) != entry["sha256"]:
                raise DataError(f"{path} is not the file config.json records (sha256 differs): export it again")
            paths[role] = path
        return paths


def read_manifest(folder: str | Path) -> Manifest:
    """The artifact's manifest, checked: its format, a preprocessing version this code knows, and a
    vocabulary whose size agrees with the network's."""
    folder = artifact_folder(folder)
    config = read_json(folder / CONFIG_FILE)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise DataError(f"{folder / CONFIG_FILE} is not a {FORMAT} config")
    manifest = Manifest(folder, config)
    try:
        preprocessor(str(manifest.preprocessing.get("preprocessor", "")))
    except ConfigError as exc:
        raise DataError(f"{folder}: {exc}") from None
    if not manifest.vocab_sha256:
        raise DataError(f"{folder / CONFIG_FILE} names no vocabulary hash")
    network_size = manifest.network.get("vocab_size")
    if network_size is not None and int(network_size) != manifest.vocab_size:
        raise DataError(f"network expects {network_size} ids, the word dictionary has {manifest.vocab_size}")
    return manifest
