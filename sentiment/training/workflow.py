"""Train and evaluate from files to artifact: what `sentiment train` / `evaluate` and SageMaker run."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.core.errors import DataError
from sentiment.core.report import markdown_table
from sentiment.model import artifact as artifact_io
from sentiment.model.export import describe, export_graphs
from sentiment.model.inference import resolve_device
from sentiment.model.network import NetworkConfig, count_parameters
from sentiment.text.vocab import WORD_DICT_FILE, WordDict
from sentiment.training.embeddings import EMBEDDINGS_FILE
from sentiment.training.embeddings import load as load_embeddings
from sentiment.training.encoded import (
    SENTENCES_FILE,
    SHORT_TEXTS_FILE,
    UNLABELLED_FILE,
    EncodedSet,
    read_csv,
    read_ratings,
)
from sentiment.training.evaluate import ShortTexts, evaluate
from sentiment.training.plots import training_curve
from sentiment.training.train import TrainConfig, train
from sentiment.training.wide_fit import ExtraRows


def _find(folder: str | Path, name: str) -> Path:
    path = Path(folder) / name
    if not path.is_file():
        raise DataError(f"{name} not found in {folder} (run `sentiment data` first, or pass --data)")
    return path


def train_artifact(
    network: NetworkConfig,
    settings: TrainConfig,
    train_dir: str | Path,
    validation_dir: str | Path,
    output: str | Path,
    progress: bool = True,
) -> str:
    """Train on `train_dir`/train.csv (+ embeddings.npy, train_sentences.csv and unlabelled.csv when
    present), validate on `validation_dir`/validation.csv, save the artifact to `output`."""
    word_dict = WordDict.load(_find(train_dir, WORD_DICT_FILE))
    network = replace(network, vocab_size=word_dict.size)
    train_set = read_csv(_find(train_dir, "train.csv"), vocab_size=word_dict.size)
    validation_set = read_csv(_find(validation_dir, "validation.csv"), vocab_size=word_dict.size)
    if train_set.ids.shape[1] != validation_set.ids.shape[1]:
        raise DataError("train.csv and validation.csv have different sequence lengths")
    vectors_path = Path(train_dir) / EMBEDDINGS_FILE
    vectors = load_embeddings(str(vectors_path), word_dict.size) if vectors_path.is_file() else None
    ratings = (
        read_ratings(train_dir, "train", len(train_set)),
        read_ratings(validation_dir, "validation", len(validation_set)),
    )
    known = (ratings[0], ratings[1]) if ratings[0] is not None and ratings[1] is not None else None
    result = train(
        network,
        train_set,
        validation_set,
        settings,
        progress=progress,
        embeddings=vectors,
        ratings=known,
        deep_ids=word_dict.unmarked_ids() if network.deep_unmarked else None,
        extra=_extra_rows(train_dir, word_dict.size, network, settings),
    )
    trained = artifact_io.Artifact(
        model=result.model,
        word_dict=word_dict,
        sequence_length=int(train_set.ids.shape[1]),
        temperature=result.temperature,
        training={
            **result.summary(),
            "settings": asdict(settings),
            "parameters": count_parameters(result.model),
            "pretrained_embeddings": vectors is not None,
            "train_rows": len(train_set),
            "validation_rows": len(validation_set),
            "finished": time.strftime("%Y%m%dT%H%M%S", time.gmtime()),
        },
    )
    artifact_io.save(trained, output)
    check = export_graphs(output, validation_set.ids, validation_set.lengths, "validation.csv")
    curve = training_curve(
        [asdict(r) for r in result.history], Path(output) / "training_curve.png", f"training: {network.name} model"
    )
    best = next(r for r in result.history if r.branch == "deep" and r.epoch == result.best_epoch)
    return (
        f"trained {network.name} ({count_parameters(result.model):,} parameters) in {result.seconds:.0f} s; "
        f"best recurrent epoch {result.best_epoch}: its own validation accuracy {best.val_accuracy:.2%}, "
        f"loss {best.val_loss:.4f}; "
        f"temperature {result.temperature:.3f}\n{describe(check)}\nartifact: {output}  curve: {curve}"
    )


def _extra_rows(folder: str | Path, vocab_size: int, network: NetworkConfig, settings: TrainConfig) -> ExtraRows:
    """The optional training files this run uses (only a network with an n-gram branch uses any)."""
    if not network.ngram_buckets:
        return ExtraRows()
    sentences = _optional(folder, SENTENCES_FILE, vocab_size) if settings.sentence_weight > 0 else None
    unlabelled = _optional(folder, UNLABELLED_FILE, vocab_size) if settings.unlabelled_rows > 0 else None
    return ExtraRows(sentences, unlabelled)


def _optional(folder: str | Path, name: str, vocab_size: int) -> EncodedSet | None:
    """The rows of an optional training file of `folder` (None when it has none)."""
    path = Path(folder) / name
    return read_csv(path, vocab_size, unlabelled=name == UNLABELLED_FILE) if path.is_file() else None


def export_artifact(model_dir: str | Path, data_dir: str | Path) -> str:
    """Export the artifact's ONNX graphs, checked on `data_dir`/validation.csv (the split it was tuned on)."""
    validation = _find(data_dir, "validation.csv")
    loaded = artifact_io.load(model_dir)
    rows = read_csv(validation, vocab_size=loaded.word_dict.size)
    if rows.ids.shape[1] != loaded.sequence_length:
        raise DataError(f"{validation} has rows of {rows.ids.shape[1]} ids; the model reads {loaded.sequence_length}")
    return describe(export_graphs(model_dir, rows.ids, rows.lengths, "validation.csv"))


def evaluate_artifact(
    model_dir: str | Path, data_dir: str | Path, output: str | Path | None = None, device: str = "cpu"
) -> str:
    """Evaluate the artifact on `data_dir`/test.csv (and its ratings) on `device`; store metrics.json and
    plots in `output` (default: the artifact folder, where they travel with the model)."""
    loaded = artifact_io.load(model_dir)
    _same_dictionary(data_dir, loaded.word_dict)
    loaded.model.to(resolve_device(device))
    test = read_csv(_find(data_dir, "test.csv"), vocab_size=loaded.word_dict.size)
    test_ratings = read_ratings(data_dir, "test", len(test))
    validation = None
    if test_ratings is not None and (Path(data_dir) / "validation.csv").is_file():
        validation_set = read_csv(Path(data_dir) / "validation.csv", vocab_size=loaded.word_dict.size)
        validation_ratings = read_ratings(data_dir, "validation", len(validation_set))
        validation = (validation_set, validation_ratings) if validation_ratings is not None else None
    output = Path(output or model_dir)
    result = evaluate(loaded, test, output, test_ratings, validation, read_short_texts(data_dir))
    return report(result, loaded.name, len(test), output)


def _same_dictionary(data_dir: str | Path, word_dict: WordDict) -> None:
    """Refuse a data folder whose ids come from another word dictionary than the artifact's."""
    path = Path(data_dir) / WORD_DICT_FILE
    if path.is_file() and (theirs := WordDict.load(path)).sha256 != word_dict.sha256:
        raise DataError(
            f"{data_dir} was encoded with another word dictionary (sha256 {theirs.sha256[:12]}) than the "
            f"model's ({word_dict.sha256[:12]}): its ids mean other words; evaluate on the data the model "
            "was trained with (`sentiment data` with its setup)"
        )


def read_short_texts(data_dir: str | Path) -> ShortTexts | None:
    """The short-text slice of a data folder (its test reviews' first sentences), if it has one."""
    path = Path(data_dir) / SHORT_TEXTS_FILE
    if not path.is_file():
        return None
    try:
        rows = [
            json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line
        ]  # not splitlines: U+2028
        texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f'{path}: not lines of {{"text": ..., "label": 0 or 1}} ({exc})') from None
    valid = all(isinstance(t, str) for t in texts) and all(type(v) is int and v in (0, 1) for v in labels)
    if not rows or not valid:
        raise DataError(f'{path}: needs at least one line, each {{"text": a string, "label": 0 or 1}}')
    return texts, np.array(labels, dtype=np.int64)


def report(result: dict[str, Any], name: str, reviews: int, output: Path) -> str:
    """The evaluation in a few tables a person reads in a terminal."""
    rows = [[k, round(result[k], 4)] for k in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "ece")]
    text = markdown_table(["metric", name], rows)
    if "rating" in result:
        rating = result["rating"]
        lines = [["rating head", rating["head"]["mae"], rating["head"]["spearman"]]] if "head" in rating else []
        lines.append(["baseline: isotonic score -> stars", *rating["baseline_isotonic"].values()])
        text += "\n\n" + markdown_table(["star rating", "MAE (stars)", "Spearman"], lines)
    short = result["short_text"]
    lines = [
        [
            f"shortest tenth of the reviews (≤ {short['shortest_tenth']['max_tokens']} tokens)",
            short["shortest_tenth"]["n"],
            f"{short['shortest_tenth']['accuracy']:.2%}",
        ]
    ]
    if "first_sentences" in short:
        lines.append(
            ["first sentences alone", short["first_sentences"]["n"], f"{short['first_sentences']['accuracy']:.2%}"]
        )
    text += "\n\n" + markdown_table(["short texts (test)", "texts", "accuracy"], lines)
    suite = result["behaviour"]
    capabilities = [[n, e["kind"], e["cases"], f"{e['pass_rate']:.0%}"] for n, e in suite["capabilities"].items()]
    capabilities.append(["all", "", suite["cases"], f"{suite['pass_rate']:.1%}"])
    text += "\n\n" + markdown_table(["capability", "test", "cases", "passed"], capabilities)
    speed = f"{reviews:,} reviews at {result['inference_reviews_per_s']:,.0f} reviews/s"
    return f"{text}\n\n{speed}; metrics and plots in {output}"
