"""Train and evaluate from files to artifact: what `sentiment train` / `evaluate` and SageMaker run."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

from sentiment.core.errors import DataError
from sentiment.core.report import markdown_table
from sentiment.model import artifact as artifact_io
from sentiment.model.network import NetworkConfig, count_parameters
from sentiment.text.vocab import WORD_DICT_FILE, WordDict
from sentiment.training.embeddings import EMBEDDINGS_FILE
from sentiment.training.embeddings import load as load_embeddings
from sentiment.training.encoded import read_csv
from sentiment.training.evaluate import evaluate
from sentiment.training.plots import training_curve
from sentiment.training.train import TrainConfig, train


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
    """Train on `train_dir`/train.csv (+ embeddings.npy when present), validate on
    `validation_dir`/validation.csv, save the artifact to `output`."""
    word_dict = WordDict.load(_find(train_dir, WORD_DICT_FILE))
    network = replace(network, vocab_size=word_dict.size)
    train_set = read_csv(_find(train_dir, "train.csv"), vocab_size=word_dict.size)
    validation_set = read_csv(_find(validation_dir, "validation.csv"), vocab_size=word_dict.size)
    if train_set.ids.shape[1] != validation_set.ids.shape[1]:
        raise DataError("train.csv and validation.csv have different sequence lengths")
    vectors_path = Path(train_dir) / EMBEDDINGS_FILE
    vectors = load_embeddings(str(vectors_path), word_dict.size) if vectors_path.is_file() else None
    result = train(network, train_set, validation_set, settings, progress=progress, embeddings=vectors)
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
    curve = training_curve(
        [asdict(r) for r in result.history], Path(output) / "training_curve.png", f"training: {network.name} model"
    )
    best = next(r for r in result.history if r.branch == "deep" and r.epoch == result.best_epoch)
    return (
        f"trained {network.name} ({count_parameters(result.model):,} parameters) in {result.seconds:.0f} s; "
        f"best recurrent epoch {result.best_epoch}: its own validation accuracy {best.val_accuracy:.2%}, "
        f"loss {best.val_loss:.4f}; "
        f"temperature {result.temperature:.3f}\nartifact: {output}  curve: {curve}"
    )


def evaluate_artifact(model_dir: str | Path, data_dir: str | Path, output: str | Path | None = None) -> str:
    """Evaluate the artifact on `data_dir`/test.csv; store metrics.json and plots in `output` (default:
    the artifact folder, where they travel with the model)."""
    loaded = artifact_io.load(model_dir)
    test = read_csv(_find(data_dir, "test.csv"), vocab_size=loaded.word_dict.size)
    output = Path(output or model_dir)
    result = evaluate(loaded, test, output)
    rows = [[k, round(result[k], 4)] for k in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "ece")]
    behaviour = result["behaviour"]
    return (
        markdown_table(["metric", loaded.name], rows)
        + f"\n\nnegation lowers the score in {behaviour['negation']['score_lowered']:.0%} of pairs, "
        f"flips the label in {behaviour['negation']['label_flipped']:.0%}; "
        f"name spread {behaviour['name_invariance']['max_spread']:.3f}, "
        f"punctuation spread {behaviour['punctuation_invariance']['max_spread']:.3f}\n"
        f"{len(test):,} reviews at {result['inference_reviews_per_s']:,.0f} reviews/s; metrics and plots in {output}"
    )
