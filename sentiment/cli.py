"""The `sentiment` command: thin sub-commands over the library.

Each sub-command is (name, help, add_arguments, run). The deployed units' own commands (`train` for
the SageMaker training job, `serve` for the model container) live with their units and are only
listed here, so those units never import this file's other commands.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sentiment.core import config
from sentiment.core.arguments import fraction, non_negative_int, port, positive_int, run_command
from sentiment.core.errors import DataError
from sentiment.text.preprocess import PREPROCESSORS

Run = Callable[[argparse.Namespace], int]
SHIPPED = "model/artifact"  # how the shipped artifact's folder is named in help texts


def _archive_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--archive",
        help=f"local aclImdb_v1.tar.gz (default: ${config.ENV_IMDB_ARCHIVE}, "
        "../shared/data, the cache, else the official download)",
    )


def _model_dir_option(parser: argparse.ArgumentParser, *aliases: str) -> None:
    parser.add_argument(
        "--model-dir",
        *aliases,
        dest="model_dir",
        default=str(config.SHIPPED_MODEL_DIR),
        help=f"artifact folder (default: {SHIPPED})",
    )


def _output_option(parser: argparse.ArgumentParser, what: str, default: Path) -> None:
    shown = default.relative_to(config.PROJECT_ROOT)
    parser.add_argument("--output", default=str(default), help=f"folder for {what} (default: {shown})")


# ---- data


def _add_data(p: argparse.ArgumentParser) -> None:
    """Prepare the IMDB training files and word dictionary."""
    from sentiment.data.prepare import SETUPS

    _archive_option(p)
    p.add_argument("--sha256", help="require the archive to have this sha256")
    p.add_argument("--output", default="data", help="folder or s3://bucket/prefix for the files (default: data)")
    p.add_argument(
        "--setup",
        choices=sorted(SETUPS),
        default="default",
        help="the data a named model trains on (default: default); the options below override it",
    )
    p.add_argument(
        "--preprocessing",
        choices=[p.name for p in PREPROCESSORS.values()],
        help="words: every word, contractions split, negations marked; classic: stopwords out, Porter stems",
    )
    p.add_argument("--vocab-size", type=positive_int)
    p.add_argument("--sequence-length", type=positive_int)
    p.add_argument("--validation-fraction", type=fraction)
    p.add_argument("--seed", type=int)
    p.add_argument("--embedding-dim", type=non_negative_int, help="word2vec vectors of this size (0: none)")
    p.add_argument("--word2vec-epochs", type=positive_int)
    p.add_argument("--augment", type=non_negative_int, help="short synthetic reviews added to training (0: none)")
    p.add_argument(
        "--sentences",
        action=argparse.BooleanOptionalAction,
        help="train_sentences.csv: a crop of a few sentences of each training review (short-text training)",
    )
    p.add_argument(
        "--unlabelled",
        action=argparse.BooleanOptionalAction,
        help="unlabelled.csv: the 50,000 unlabelled reviews encoded, for self-training",
    )
    p.add_argument("--workers", type=non_negative_int, default=0, help="processes for preprocessing (0: one per core)")
    p.add_argument("--force", action="store_true", help="rebuild even if the output is up to date")


def _run_data(args: argparse.Namespace) -> int:
    from sentiment.data.prepare import PrepareOptions, format_summary, prepare
    from sentiment.text.preprocess import preprocessor

    options = PrepareOptions.for_setup(
        args.setup,
        output=args.output,
        archive=args.archive,
        sha256=args.sha256,
        preprocessor=preprocessor(args.preprocessing).version if args.preprocessing else None,
        vocab_size=args.vocab_size,
        sequence_length=args.sequence_length,
        validation_fraction=args.validation_fraction,
        seed=args.seed,
        workers=args.workers,
        force=args.force,
        embedding_dim=args.embedding_dim,
        word2vec_epochs=args.word2vec_epochs,
        augment=args.augment,
        sentences=args.sentences,
        unlabelled=args.unlabelled,
    )
    print(format_summary(prepare(options)))
    return 0


# ---- train (the SageMaker training job's own command), evaluate


def _add_train(p: argparse.ArgumentParser) -> None:
    """Train a model on the training files; write the artifact."""
    from sentiment.training.job import add_arguments

    add_arguments(p)


def _run_train(args: argparse.Namespace) -> int:
    from sentiment.training.job import run

    return run(args)


def _add_evaluate(p: argparse.ArgumentParser) -> None:
    """Evaluate an artifact on test.csv: metrics.json + PNG plots."""
    _model_dir_option(p, "--model")  # --model: the older spelling
    p.add_argument("--data", default=str(config.DEFAULT_DATA_DIR), help="folder with test.csv (default: data/default)")
    p.add_argument("--output", help="where metrics.json and the plots go (default: the artifact folder itself)")
    p.add_argument(
        "--device", choices=("auto", "cpu", "cuda", "mps"), default="cpu", help="where to score (default: cpu)"
    )


def _run_evaluate(args: argparse.Namespace) -> int:
    from sentiment.training.workflow import evaluate_artifact

    print(evaluate_artifact(args.model_dir, args.data, args.output, args.device))
    return 0


def _add_export(p: argparse.ArgumentParser) -> None:
    """Export an artifact's ONNX graphs (what the model server runs), checked on the validation split."""
    _model_dir_option(p)
    p.add_argument(
        "--data", default=str(config.DEFAULT_DATA_DIR), help="folder with validation.csv (default: data/default)"
    )


def _run_export(args: argparse.Namespace) -> int:
    from sentiment.training.workflow import export_artifact

    print(export_artifact(args.model_dir, args.data))
    return 0


# ---- serve (the model container's own command), up, batch


def _add_serve(p: argparse.ArgumentParser) -> None:
    """Run the model server (GET /ping, POST /invocations)."""
    from sentiment.serving.main import add_arguments

    add_arguments(p)


def _run_serve(args: argparse.Namespace) -> int:
    from sentiment.core.lifetime import exit_after
    from sentiment.serving.main import run

    exit_after(lambda: run(args))


def _add_up(p: argparse.ArgumentParser) -> None:
    """Run the local stack: model server, API (template.yaml's handler) and website."""
    p.add_argument("--host", default="127.0.0.1", help="interface for both servers (default: loopback)")
    p.add_argument("--port", type=port, default=3000, help="website and API (default: 3000)")
    p.add_argument("--model-port", type=port, default=8080, help="model server (default: 8080)")
    _model_dir_option(p)
    p.add_argument("--endpoint-url", help="use this running model server instead of starting one")
    p.add_argument("--concurrency", type=positive_int, default=4, help="handler instances (default: 4)")
    p.add_argument("--model-workers", type=non_negative_int, default=0, help="model server processes (0: one per core)")
    p.add_argument("--function-timeout", type=float, help="seconds, instead of template.yaml's Timeout")


def _run_up(args: argparse.Namespace) -> int:
    from sentiment.core.lifetime import exit_after
    from sentiment.local.stack import StackOptions, run_stack

    options = StackOptions(
        host=args.host,
        port=args.port,
        model_port=args.model_port,
        model_dir=Path(args.model_dir).resolve(),
        endpoint_url=args.endpoint_url,
        concurrency=args.concurrency,
        model_workers=args.model_workers,
        function_timeout=args.function_timeout,
    )

    def stack() -> int:
        run_stack(options)
        return 0

    exit_after(stack)


def _add_batch(p: argparse.ArgumentParser) -> None:
    """Score a file of reviews (.txt lines, .csv text column, .jsonl)."""
    p.add_argument("input", help="reviews: .txt (one per line), .csv (a review/text column) or .jsonl")
    p.add_argument("output", help="results: .csv or .jsonl (local path or s3://)")
    _model_dir_option(p)
    p.add_argument("--text-column", help="CSV/JSONL field holding the review (default: review or text)")
    p.add_argument("--workers", type=non_negative_int, default=0, help="preprocessing processes (0: one per core)")


def _run_batch(args: argparse.Namespace) -> int:
    from sentiment.batch import score_file
    from sentiment.scoring.graphs import GraphModel

    model = GraphModel.load(args.model_dir)
    print(score_file(model, args.input, args.output, args.text_column, args.workers))
    return 0


def _add_drift(p: argparse.ArgumentParser) -> None:
    """Compare an endpoint's captured traffic (SageMaker Data Capture) with the training data."""
    p.add_argument("capture", help="folder or s3://bucket/prefix holding the capture files (*.jsonl)")
    _model_dir_option(p)
    p.add_argument("--data", default=str(config.DEFAULT_DATA_DIR), help="the training data (default: data/default)")
    _output_option(p, "drift.png", config.RUNS_DIR / "drift")


def _run_drift(args: argparse.Namespace) -> int:
    from sentiment.monitoring.drift import compare, plot, read_traffic, text
    from sentiment.scoring.graphs import GraphModel
    from sentiment.training.encoded import read_csv

    model = GraphModel.load(args.model_dir)
    data = Path(args.data)
    if not (data / "validation.csv").is_file():
        raise DataError(f"{data} has no validation.csv: run `make data` (the data the model trained on)")
    traffic = read_traffic(args.capture, model)
    validation = read_csv(data / "validation.csv", vocab_size=model.word_dict.size)
    report = compare(traffic, validation, model)
    print(text(report, args.capture, plot(report, Path(args.output) / "drift.png")))
    return 0


# ---- benchmarks: each writes its record to runs/benchmarks (`--output benchmarks` publishes it)


def _add_bench_preprocess(p: argparse.ArgumentParser) -> None:
    """Preprocessing speed: ours vs the classic approach."""
    _archive_option(p)
    p.add_argument("--classic-sample", type=positive_int, default=500, help="reviews the classic path times")
    _output_option(p, "preprocess.json / preprocess.md", config.BENCH_RUNS_DIR)


def _run_bench_preprocess(args: argparse.Namespace) -> int:
    from sentiment.bench.preprocess import run

    print(run(args.archive, args.classic_sample, args.output))
    return 0


def _add_bench_model(p: argparse.ArgumentParser) -> None:
    """Train + evaluate the named configs and baselines in one run."""
    _archive_option(p)
    _output_option(p, "model.json / model.md", config.BENCH_RUNS_DIR)


def _run_bench_model(args: argparse.Namespace) -> int:
    from sentiment.bench.model import run

    print(run(args.archive, args.output))
    return 0


def _add_bench_serving(p: argparse.ArgumentParser) -> None:
    """The model server on its graphs vs on eager torch and the classic path; batch scoring both ways."""
    _model_dir_option(p)
    _archive_option(p)
    p.add_argument("--requests", type=positive_int, default=500)
    _output_option(p, "serving.json / serving.md", config.BENCH_RUNS_DIR)


def _run_bench_serving(args: argparse.Namespace) -> int:
    from sentiment.bench.serving import run

    print(run(args.model_dir, args.archive, args.output, args.requests))
    return 0


def _add_bench_stack(p: argparse.ArgumentParser) -> None:
    """End-to-end load (wrk) on the local stack vs the classic endpoint."""
    _model_dir_option(p)
    _archive_option(p)
    p.add_argument("--requests", type=positive_int, default=20_000)
    p.add_argument("--concurrency", type=positive_int, default=32)
    _output_option(p, "stack.json / stack.md", config.BENCH_RUNS_DIR)


def _run_bench_stack(args: argparse.Namespace) -> int:
    from sentiment.bench.stack import run

    print(run(args.model_dir, args.archive, args.output, args.requests, args.concurrency))
    return 0


def _add_bench_containers(p: argparse.ArgumentParser) -> None:
    """The model image vs the same server on torch, run as SageMaker runs them; the Lambda's cold import."""
    _model_dir_option(p)
    _output_option(p, "containers.json / containers.md", config.BENCH_RUNS_DIR)


def _run_bench_containers(args: argparse.Namespace) -> int:
    from sentiment.bench.containers import run

    print(run(args.model_dir, args.output))
    return 0


def _add_bench_abuse(p: argparse.ArgumentParser) -> None:
    """The model server under its largest requests and slow clients."""
    _model_dir_option(p)
    p.add_argument("--server-pythonpath", help="run the server from this checkout (measure a baseline)")
    _output_option(p, "abuse.json / abuse.md", config.BENCH_RUNS_DIR)


def _run_bench_abuse(args: argparse.Namespace) -> int:
    from sentiment.bench.abuse import run

    print(run(args.model_dir, args.output, args.server_pythonpath))
    return 0


def _add_bench_summary(p: argparse.ArgumentParser) -> None:
    """One table from the benchmark records (after the bench-* commands)."""
    _output_option(p, "the records, and summary.json / summary.md", config.BENCH_RUNS_DIR)


def _run_bench_summary(args: argparse.Namespace) -> int:
    from sentiment.bench.summary import write_summary

    print(write_summary(args.output))
    return 0


def _add_images(p: argparse.ArgumentParser) -> None:
    """Build the container images: base images (pulled or stand-ins), sentiment-model:latest."""
    from sentiment.containers import images

    images.add_arguments(p)


def _run_images(args: argparse.Namespace) -> int:
    from sentiment.containers import images

    return images.run(args)


COMMANDS: list[tuple[str, Callable[[argparse.ArgumentParser], None], Run]] = [
    ("data", _add_data, _run_data),
    ("train", _add_train, _run_train),
    ("evaluate", _add_evaluate, _run_evaluate),
    ("export", _add_export, _run_export),
    ("serve", _add_serve, _run_serve),
    ("up", _add_up, _run_up),
    ("batch", _add_batch, _run_batch),
    ("drift", _add_drift, _run_drift),
    ("images", _add_images, _run_images),
    ("bench-preprocess", _add_bench_preprocess, _run_bench_preprocess),
    ("bench-serving", _add_bench_serving, _run_bench_serving),
    ("bench-model", _add_bench_model, _run_bench_model),
    ("bench-stack", _add_bench_stack, _run_bench_stack),
    ("bench-containers", _add_bench_containers, _run_bench_containers),
    ("bench-abuse", _add_bench_abuse, _run_bench_abuse),
    ("bench-summary", _add_bench_summary, _run_bench_summary),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentiment", description=__doc__.split("\n", 1)[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, add, run in COMMANDS:
        help_text = (add.__doc__ or "").rstrip(".")  # each command's help: its `_add_*` function's docstring
        command = sub.add_parser(name, help=help_text, description=help_text)
        add(command)
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        logging.getLogger("botocore").setLevel(logging.WARNING)
    return run_command(f"sentiment {args.command}", args.run, args)


if __name__ == "__main__":
    sys.exit(main())
