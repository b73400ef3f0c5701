"""`sentiment train` and the SageMaker training job's entry point (training/train.py): the same arguments.

SageMaker passes hyperparameters as `--name value` and the folders as SM_CHANNEL_TRAIN,
SM_CHANNEL_VALIDATION and SM_MODEL_DIR, which are these options' defaults. This module imports
only what the training job's environment has (the `train` group of pyproject.toml).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from sentiment.core import config
from sentiment.core.arguments import non_negative_float, non_negative_int, positive_int, run_command
from sentiment.model.network import DEFAULT, NAMED_CONFIGS, named_config
from sentiment.training.train import TrainConfig
from sentiment.training.workflow import train_artifact

# Network settings that may be overridden one by one: (option, type).
NETWORK_OPTIONS = (
    ("embedding-dim", positive_int),
    ("hidden-dim", positive_int),
    ("dropout", float),
    ("ngram-buckets", int),
    ("ngram-order", int),
    ("deep-vocab-size", int),
    ("conv-kernel", int),
    ("pooling", str),
    ("cell", str),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = TrainConfig()
    env = os.environ.get
    parser.add_argument("--data", help="folder with train.csv, validation.csv, word_dict.json (default: data/default)")
    parser.add_argument("--train-dir", default=env(config.ENV_SM_CHANNEL_TRAIN), help="train.csv + word_dict.json")
    parser.add_argument("--validation-dir", default=env(config.ENV_SM_CHANNEL_VALIDATION), help="validation.csv")
    parser.add_argument("--output", default=env(config.ENV_SM_MODEL_DIR), help="artifact folder (default: runs/NAME)")
    parser.add_argument("--config", choices=sorted(NAMED_CONFIGS), default="default", help="named network config")
    for name, kind in NETWORK_OPTIONS:
        default = getattr(DEFAULT, name.replace("-", "_"))
        parser.add_argument(f"--{name}", type=kind, help=f"override the config (default {default})")
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--ngram-c", type=float, default=defaults.ngram_c, help="n-gram branch inverse L2 strength")
    parser.add_argument(
        "--sentence-weight",
        type=non_negative_float,
        default=defaults.sentence_weight,
        help="weight of a sentence crop (train_sentences.csv) in the n-gram fit (0: crops unused)",
    )
    parser.add_argument(
        "--unlabelled-rows",
        type=non_negative_int,
        default=defaults.unlabelled_rows,
        help="pseudo-labelled unlabelled reviews (unlabelled.csv) the recurrent branch trains on (0: no self-training)",
    )
    parser.add_argument(
        "--pseudo-margin",
        type=non_negative_float,
        default=defaults.pseudo_margin,
        help="|logit| of the n-gram branch an unlabelled review needs to take its label",
    )
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--patience", type=positive_int, default=defaults.patience)
    parser.add_argument("--max-minutes", type=float, default=defaults.max_minutes, help="stop before this budget")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=non_negative_int, default=0, help="torch threads (0: one per core)")
    gpus = env(config.ENV_SM_NUM_GPUS, "")
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda", "mps"),
        default="cuda" if gpus.isdigit() and int(gpus) > 0 else "auto",
        help="where the network trains (default: cuda on a SageMaker GPU instance, else auto: CUDA when "
        "there is a GPU, with mixed precision, else MPS, else the CPU)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    train_dir = args.train_dir or args.data or str(config.DEFAULT_DATA_DIR)
    validation_dir = args.validation_dir or args.data or train_dir
    overrides = {name.replace("-", "_"): getattr(args, name.replace("-", "_")) for name, _ in NETWORK_OPTIONS}
    network = named_config(args.config, **overrides)
    settings = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        ngram_c=args.ngram_c,
        sentence_weight=args.sentence_weight,
        unlabelled_rows=args.unlabelled_rows,
        pseudo_margin=args.pseudo_margin,
        weight_decay=args.weight_decay,
        patience=args.patience,
        seed=args.seed,
        max_minutes=args.max_minutes,
        threads=args.threads,
        device=args.device,
    )
    output = args.output or str(config.RUNS_DIR / network.name)
    print(train_artifact(network, settings, train_dir, validation_dir, output, progress=not args.quiet))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The SageMaker training job: no progress bars (the job's log is a file, not a terminal)."""
    parser = argparse.ArgumentParser(prog="train.py", description="train the sentiment model (SageMaker job)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.quiet = True
    return run_command("train", run, args)
