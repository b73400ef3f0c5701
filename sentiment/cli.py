"""The `sentiment` command: thin sub-commands over the library."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from . import config
from .errors import SentimentError

Command = Callable[[argparse.Namespace], int]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1, got {value}")
    return value


def _add_data(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("data", help="prepare the IMDB training files and word dictionary")
    p.add_argument("--archive", help=f"local aclImdb_v1.tar.gz (default: ${config.ENV_IMDB_ARCHIVE}, "
                   "../shared/data, the cache, else the official download)")  # fmt: skip
    p.add_argument("--sha256", help="require the archive to have this sha256")
    p.add_argument("--output", default="data", help="folder or s3://bucket/prefix for the files (default: data)")
    p.add_argument("--vocab-size", type=_positive_int, default=config.DEFAULT_VOCAB_SIZE)
    p.add_argument("--sequence-length", type=_positive_int, default=config.DEFAULT_SEQUENCE_LENGTH)
    p.add_argument("--validation-fraction", type=_fraction, default=config.DEFAULT_VALIDATION_FRACTION)
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED)
    p.add_argument("--embedding-dim", type=int, default=0, help="word2vec vectors of this size (0: none)")
    p.add_argument("--word2vec-epochs", type=_positive_int, default=5)
    p.add_argument("--workers", type=int, default=0, help="processes for preprocessing (0: one per core)")
    p.add_argument("--force", action="store_true", help="rebuild even if the output is up to date")
    p.set_defaults(run=_run_data)


def _run_data(args: argparse.Namespace) -> int:
    from .prepare import PrepareOptions, format_summary, prepare

    options = PrepareOptions(
        output=args.output,
        archive=args.archive,
        sha256=args.sha256,
        vocab_size=args.vocab_size,
        sequence_length=args.sequence_length,
        validation_fraction=args.validation_fraction,
        seed=args.seed,
        workers=args.workers,
        force=args.force,
        embedding_dim=args.embedding_dim,
        word2vec_epochs=args.word2vec_epochs,
    )
    print(format_summary(prepare(options)))
    return 0


def _add_bench(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench-preprocess", help="preprocessing speed: ours vs the classic approach")
    p.add_argument("--archive", help="local aclImdb_v1.tar.gz (default: as for `data`)")
    p.add_argument("--classic-sample", type=_positive_int, default=500, help="reviews the classic path times")
    p.add_argument("--output", default="benchmarks", help="folder for preprocess.json / preprocess.md")
    p.set_defaults(run=_run_bench_preprocess)


def _run_bench_preprocess(args: argparse.Namespace) -> int:
    from .bench.preprocess import run

    print(run(args.archive, args.classic_sample, args.output))
    return 0


def _env_path(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def _add_train(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from .network import DEFAULT, NAMED_CONFIGS
    from .train import TrainConfig

    defaults = TrainConfig()
    p = sub.add_parser("train", help="train a model on the training files; write the artifact")
    p.add_argument("--data", help="folder with train.csv, validation.csv, word_dict.json (default: data/default)")
    p.add_argument("--train-dir", default=_env_path(config.ENV_SM_CHANNEL_TRAIN), help="train.csv + word_dict.json")
    p.add_argument("--validation-dir", default=_env_path(config.ENV_SM_CHANNEL_VALIDATION), help="validation.csv")
    p.add_argument("--output", default=_env_path(config.ENV_SM_MODEL_DIR), help="artifact folder (default: runs/NAME)")
    p.add_argument("--config", choices=sorted(NAMED_CONFIGS), default="default", help="named network config")
    for name, kind in (("embedding-dim", _positive_int), ("hidden-dim", _positive_int), ("dropout", float),
                       ("ngram-buckets", int), ("cell", str)):  # fmt: skip
        p.add_argument(
            f"--{name}", type=kind, help=f"override the config (default {getattr(DEFAULT, name.replace('-', '_'))})"
        )
    p.add_argument("--epochs", type=_positive_int, default=defaults.epochs)
    p.add_argument("--batch-size", type=_positive_int, default=defaults.batch_size)
    p.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    p.add_argument("--ngram-c", type=float, default=defaults.ngram_c, help="n-gram branch inverse L2 strength")
    p.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    p.add_argument("--patience", type=_positive_int, default=defaults.patience)
    p.add_argument("--max-minutes", type=float, default=defaults.max_minutes, help="stop before this budget")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: one per core)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from .network import named_config
    from .train import TrainConfig
    from .workflow import train_artifact

    train_dir = args.train_dir or args.data or "data/default"
    validation_dir = args.validation_dir or args.data or train_dir
    network = named_config(
        args.config,
        embedding_dim=args.embedding_dim,
        hidden_dim=args.hidden_dim,
        dropout=args.dropout,
        ngram_buckets=args.ngram_buckets,
        cell=args.cell,
    )
    settings = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        ngram_c=args.ngram_c,
        weight_decay=args.weight_decay,
        patience=args.patience,
        seed=args.seed,
        max_minutes=args.max_minutes,
        threads=args.threads,
    )
    output = args.output or f"runs/{network.name}"
    print(train_artifact(network, settings, train_dir, validation_dir, output, progress=not args.quiet))
    return 0


def _add_evaluate(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("evaluate", help="evaluate an artifact on test.csv: metrics.json + PNG plots in the artifact")
    p.add_argument("--model", default="model/artifact", help="artifact folder (default: model/artifact)")
    p.add_argument("--data", default="data/default", help="folder with test.csv (default: data/default)")
    p.set_defaults(run=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from .workflow import evaluate_artifact

    print(evaluate_artifact(args.model, args.data))
    return 0


def _add_serve(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the model server (GET /ping, POST /invocations)")
    p.add_argument("--model-dir", default=os.environ.get(config.ENV_SM_MODEL_DIR, "model/artifact"),
                   help="artifact folder (default: $SM_MODEL_DIR or model/artifact)")  # fmt: skip
    p.add_argument("--host", default="127.0.0.1", help="interface (0.0.0.0 in a container)")
    p.add_argument("--port", type=_port, default=8080)
    p.add_argument("--workers", type=int, default=0, help="worker processes (0: one per core)")
    p.set_defaults(run=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    from .endpoint.serve import serve

    print(f"model server on http://{args.host}:{args.port} (model {args.model_dir}); Ctrl-C stops it", flush=True)
    serve(args.model_dir, args.host, args.port, args.workers)
    return 0


def _add_up(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("up", help="run the local stack: model server, API (template.yaml's handler) and website")
    p.add_argument("--host", default="127.0.0.1", help="interface for both servers (default: loopback)")
    p.add_argument("--port", type=_port, default=3000, help="website and API (default: 3000)")
    p.add_argument("--model-port", type=_port, default=8080, help="model server (default: 8080)")
    p.add_argument("--model-dir", default="model/artifact", help="artifact folder (default: model/artifact)")
    p.add_argument("--endpoint-url", help="use this running model server instead of starting one")
    p.add_argument("--concurrency", type=_positive_int, default=4, help="handler instances (default: 4)")
    p.add_argument("--model-workers", type=int, default=0, help="model server processes (0: one per core)")
    p.set_defaults(run=_run_up)


def _run_up(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .local.stack import StackOptions, run_stack

    options = StackOptions(host=args.host, port=args.port, model_port=args.model_port,
                           model_dir=Path(args.model_dir).resolve(), endpoint_url=args.endpoint_url,
                           concurrency=args.concurrency, model_workers=args.model_workers)  # fmt: skip
    run_stack(options)
    return 0


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1..65535, got {value}")
    return value


def _add_batch(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("batch", help="score a file of reviews (.txt lines, .csv text column, .jsonl)")
    p.add_argument("input", help="reviews: .txt (one per line), .csv (a review/text column) or .jsonl")
    p.add_argument("output", help="results: .csv or .jsonl (local path or s3://)")
    p.add_argument("--model-dir", default="model/artifact", help="artifact folder (default: model/artifact)")
    p.add_argument("--text-column", help="CSV/JSONL field holding the review (default: review or text)")
    p.add_argument("--workers", type=int, default=0, help="preprocessing processes (0: one per core)")
    p.set_defaults(run=_run_batch)


def _run_batch(args: argparse.Namespace) -> int:
    from .artifact import load
    from .batch import score_file

    print(score_file(load(args.model_dir), args.input, args.output, args.text_column, args.workers))
    return 0


def _add_bench_model(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench-model", help="train + evaluate classic, default and TF-IDF models in one run")
    p.add_argument("--archive", help="local aclImdb_v1.tar.gz (default: as for `data`)")
    p.add_argument("--output", default="benchmarks", help="folder for model.json / model.md")
    p.set_defaults(run=_run_bench_model)


def _run_bench_model(args: argparse.Namespace) -> int:
    from .bench.model import run

    print(run(args.archive, args.output))
    return 0


def _add_bench_serving(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench-serving", help="endpoint latency and batch scoring vs the classic serving path")
    p.add_argument("--model-dir", default="model/artifact")
    p.add_argument("--archive", help="local aclImdb_v1.tar.gz (default: as for `data`)")
    p.add_argument("--requests", type=_positive_int, default=500)
    p.add_argument("--output", default="benchmarks", help="folder for serving.json / serving.md")
    p.set_defaults(run=_run_bench_serving)


def _run_bench_serving(args: argparse.Namespace) -> int:
    from .bench.serving import run

    print(run(args.model_dir, args.archive, args.output, args.requests))
    return 0


def _add_bench_stack(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench-stack", help="end-to-end load (wrk) on the local stack vs the classic endpoint")
    p.add_argument("--model-dir", default="model/artifact")
    p.add_argument("--archive", help="local aclImdb_v1.tar.gz (default: as for `data`)")
    p.add_argument("--requests", type=_positive_int, default=20_000)
    p.add_argument("--concurrency", type=_positive_int, default=32)
    p.add_argument("--output", default="benchmarks", help="folder for stack.json / stack.md")
    p.set_defaults(run=_run_bench_stack)


def _run_bench_stack(args: argparse.Namespace) -> int:
    from .bench.stack import run

    print(run(args.model_dir, args.archive, args.output, args.requests, args.concurrency))
    return 0


def _add_bench_summary(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench-summary", help="one table from the benchmark records (after the bench-* commands)")
    p.add_argument("--output", default="benchmarks", help="folder holding the records; gets summary.json / .md")
    p.set_defaults(run=_run_bench_summary)


def _run_bench_summary(args: argparse.Namespace) -> int:
    from .bench.summary import write_summary

    print(write_summary(args.output))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentiment", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _add_data,
        _add_train,
        _add_evaluate,
        _add_serve,
        _add_up,
        _add_batch,
        _add_bench,
        _add_bench_serving,
        _add_bench_model,
        _add_bench_stack,
        _add_bench_summary,
    ):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        result: int = args.run(args)
        return result
    except SentimentError as exc:
        print(f"sentiment {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sentiment {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
