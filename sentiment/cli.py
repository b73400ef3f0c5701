"""The `sentiment` command: thin sub-commands over the library."""

from __future__ import annotations

import argparse
import logging
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
    p.add_argument("--workers", type=int, default=0, help="processes for preprocessing (0: one per core)")
    p.add_argument("--force", action="store_true", help="rebuild even if the output is up to date")
    p.set_defaults(run=_run_data)


def _run_data(args: argparse.Namespace) -> int:
    from .prepare import PrepareOptions, prepare
    from .report import format_prepare_summary

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
    )
    print(format_prepare_summary(prepare(options)))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentiment", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_data, _add_bench):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
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
