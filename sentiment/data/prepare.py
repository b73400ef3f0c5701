"""`sentiment data`: IMDB archive -> word dictionary + train/validation/test training files."""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from sentiment.data import archive

from sentiment.core import config
from sentiment.core.errors import ConfigError

from sentiment.data import storage
from sentiment.data.augment import synthetic_reviews
from sentiment.data.corpus import reviews_to_words
from sentiment.data.sentences import crop, first_sentence
from sentiment.data.reviews import SPLIT_METHOD, source_fingerprint, Review, cached_words, read_split, read_unlabelled, shuffled, split_validation
from sentiment.training.embeddings import EMBEDDINGS_FILE
from sentiment.training.embeddings import to_bytes as embeddings_to_bytes
from sentiment.scoring.encoding import encode_many
from sentiment.text.preprocess import CLASSIC, DEFAULT_VERSION, WORDS, preprocessor
from sentiment.core.report import markdown_table
from sentiment.training.encoded import (
    RATINGS_FILE, SENTENCES_FILE, SHORT_TEXTS_FILE, UNLABELLED_FILE, UNLABELLED_IDS, EncodedSet, to_csv,
)
from sentiment.text.vocab import WORD_DICT_FILE, WordDict, build, coverage
from sentiment.data.word2vec import train_word2vec

log = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
MANIFEST_FILE = "manifest.json"


# The data each named model trains on (`sentiment data --setup NAME`, `make data`, bench-model).
SETUPS: dict[str, dict[str, object]] = {
    # every word, negations marked; all words of the training split; word2vec on train + unlabelled;
    # 6,000 short synthetic reviews of negation, contrast and hedging in the training split (data/augment.py);
    # a crop of a few sentences of every training review; the unlabelled reviews encoded for self-training
    "default": {"preprocessor": WORDS, "vocab_size": 150_000, "sequence_length": 1000, "embedding_dim": 100,
                "augment": 6000, "sentences": True, "unlabelled": True},
    # the classic project: stopwords out, Porter stems, 5,000 ids, 500 steps
    "classic": {"preprocessor": CLASSIC, "vocab_size": 5_000, "sequence_length": 500},
}


@dataclass(frozen=True)
class PrepareOptions:
    """Settings of one data preparation; all but `output`, `archive`, `workers` and `force` are cache keys."""

    output: str = "data"
    archive: str | None = None
    sha256: str | None = None
    preprocessor: str = DEFAULT_VERSION  # the preprocessing version (sentiment.text.preprocess)
    vocab_size: int = config.DEFAULT_VOCAB_SIZE
    sequence_length: int = config.DEFAULT_SEQUENCE_LENGTH
    validation_fraction: float = config.DEFAULT_VALIDATION_FRACTION
    seed: int = config.DEFAULT_SEED
    workers: int = 0
    force: bool = False
    embedding_dim: int = 0  # >0: word2vec vectors from train + unlabelled reviews (embeddings.npy)
    word2vec_epochs: int = 5
    reviews_per_folder: int = config.IMDB_REVIEWS_PER_FOLDER  # smaller only for test fixtures
    augment: int = 0  # short synthetic reviews added to the training split (sentiment.data.augment)
    sentences: bool = False  # train_sentences.csv: a crop of 1-2 sentences of each training review
    unlabelled: bool = False  # unlabelled.csv: the 50,000 unlabelled reviews' first UNLABELLED_IDS ids

    @classmethod
    def for_setup(cls, setup: str, **given: object) -> PrepareOptions:
        """The options of a named setup (SETUPS), with `given` ones (not None) taking precedence."""
        if setup not in SETUPS:
            raise ConfigError(f"unknown data setup {setup!r}; choose one of {', '.join(SETUPS)}")
        return cls(**{**SETUPS[setup], **{k: v for k, v in given.items() if v is not None}})  # type: ignore[arg-type]


@dataclass
class PrepareSummary:
    """What a preparation produced (also stored as the output's manifest)."""

    key: dict[str, object]
    counts: dict[str, dict[str, int]]
    vocab_size: int
    word_dict_sha256: str
    coverage: dict[str, float]
    truncated_share: dict[str, float]
    median_tokens: dict[str, float]
    files: dict[str, str]
    seconds: float = 0.0
    cached: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def prepare(options: PrepareOptions) -> PrepareSummary:
    started = time.perf_counter()
    root, digest = archive.prepare_root(options.archive, options.sha256, options.reviews_per_folder)
    key = {
        "archive_sha256": digest,
        "preprocessor": preprocessor(options.preprocessor).version,
        "text_pipeline": source_fingerprint(),  # a change to the preprocessing code rebuilds the files
        "layout": 3,  # 2: ratings.json beside the CSVs; 3: the short-text slice of the test reviews
        "augment": options.augment,
        "sentences": options.sentences,
        "unlabelled": options.unlabelled,
        "split": SPLIT_METHOD,
        "vocab_size": options.vocab_size,
        "sequence_length": options.sequence_length,
        "validation_fraction": options.validation_fraction,
        "seed": options.seed,
        "embedding_dim": options.embedding_dim,
        "word2vec_epochs": options.word2vec_epochs if options.embedding_dim else 0,
    }
    if not options.force and (previous := _up_to_date(options.output, key)):
        previous.seconds = time.perf_counter() - started
        previous.cached = True
        return previous

    train_all = read_split(root, "train")
    test = shuffled(read_split(root, "test"), options.seed)
    train, validation = split_validation(train_all, options.validation_fraction, options.seed)
    if options.augment:  # the training split only; no rating (0)
        made = synthetic_reviews(options.augment, options.seed)
        train = shuffled(train + [Review(f"synthetic/{i}", 0, s.label, s.text) for i, s in enumerate(made)], options.seed)
    splits: dict[str, list[Review]] = {"train": train, "validation": validation, "test": test}
    unlabelled = read_unlabelled(root) if options.embedding_dim or options.unlabelled else []
    words = cached_words(train_all + test + unlabelled, digest, options.preprocessor, options.workers)
    # short texts (never cached: they follow the seed and the sentence splitter): the test reviews' first
    # sentences (the evaluation's slice), a crop of each training review (not the synthetic ones)
    rng = random.Random(options.seed)
    short = [Review(r.source, r.rating, r.label, first_sentence(r.text)) for r in test]
    crops = [Review(r.source, r.rating, r.label, crop(r.text, rng)) for r in train if r.rating] if options.sentences else []
    crop_words = reviews_to_words([r.text for r in crops], options.preprocessor, options.workers, progress="sentences")
    words.update({r.source: preprocessor(options.preprocessor).words(r.text) for r in train if r.rating == 0})
    docs = {name: [words[r.source] for r in reviews] for name, reviews in splits.items()}

    word_dict = build(docs["train"], options.vocab_size, options.preprocessor)
    files: dict[str, str] = {}
    for name, reviews in splits.items():
        ids, lengths = encode_many(word_dict, docs[name], options.sequence_length)
        labels = np.array([r.label for r in reviews], dtype=np.int64)
        files[name] = storage.join(options.output, f"{name}.csv")
        storage.write_bytes(files[name], to_csv(EncodedSet(labels, lengths, ids)))
    if crops:
        ids, lengths = encode_many(word_dict, crop_words, options.sequence_length, for_model=True)
        files["sentences"] = storage.join(options.output, SENTENCES_FILE)
        labels = np.array([r.label for r in crops], dtype=np.int64)
        storage.write_bytes(files["sentences"], to_csv(EncodedSet(labels, lengths, ids).narrowed()))
    if options.unlabelled:
        ids, lengths = encode_many(word_dict, [words[r.source] for r in unlabelled], UNLABELLED_IDS, for_model=True)
        files["unlabelled"] = storage.join(options.output, UNLABELLED_FILE)
        storage.write_bytes(files["unlabelled"], to_csv(EncodedSet(np.full(len(ids), -1), lengths, ids)))
    for optional, written in ((SENTENCES_FILE, "sentences"), (UNLABELLED_FILE, "unlabelled")):
        if written not in files:  # not asked for this time: an earlier run's rows would be trained on
            storage.remove(storage.join(options.output, optional))
    files["short_texts"] = storage.join(options.output, SHORT_TEXTS_FILE)  # text, so any artifact scores it
    storage.write_text(files["short_texts"], "".join(
        json.dumps({"text": r.text, "label": r.label}, ensure_ascii=False) + "\n" for r in short
    ))
    files["ratings"] = storage.join(options.output, RATINGS_FILE)  # each review's stars, row for row
    storage.write_text(files["ratings"], json.dumps({name: [r.rating for r in reviews] for name, reviews in splits.items()}))
    files["word_dict"] = storage.join(options.output, WORD_DICT_FILE)
    storage.write_text(files["word_dict"], word_dict.to_json())
    if options.embedding_dim:
        unlabelled_docs = [words[r.source] for r in unlabelled]
        vectors = train_word2vec(
            docs["train"] + unlabelled_docs, word_dict, options.embedding_dim, options.word2vec_epochs,
            workers=options.workers or os.cpu_count() or 1, seed=options.seed,
        )
        files["embeddings"] = storage.join(options.output, EMBEDDINGS_FILE)
        storage.write_bytes(files["embeddings"], embeddings_to_bytes(vectors))

    summary = PrepareSummary(
        key=key,
        counts={name: _label_counts(reviews) for name, reviews in splits.items()},
        vocab_size=word_dict.size,
        word_dict_sha256=word_dict.sha256,
        coverage={name: round(coverage(word_dict, d), 4) for name, d in docs.items()},
        truncated_share={
            name: round(sum(len(x) > options.sequence_length for x in d) / len(d), 4) for name, d in docs.items()
        },
        median_tokens={name: statistics.median(len(x) for x in d) for name, d in docs.items()},
        files=files,
        extra={"sentence_crops": len(crops), "unlabelled": len(unlabelled) if options.unlabelled else 0,
               "short_texts": len(short)},
    )
    # The manifest goes last: its presence says every other file is complete.
    storage.write_text(storage.join(options.output, MANIFEST_FILE), json.dumps(asdict(summary), indent=2))
    summary.seconds = time.perf_counter() - started
    return summary


def load_word_dict(output: str) -> WordDict:
    """The word dictionary a preparation wrote to `output`."""
    return WordDict.load(storage.join(output, WORD_DICT_FILE))


def _label_counts(reviews: list[Review]) -> dict[str, int]:
    positive = sum(r.label for r in reviews)
    return {"total": len(reviews), "positive": positive, "negative": len(reviews) - positive}


def _up_to_date(output: str, key: dict[str, object]) -> PrepareSummary | None:
    raw = storage.read_bytes(storage.join(output, MANIFEST_FILE))
    if raw is None:
        return None
    try:
        summary = PrepareSummary(**json.loads(raw))
    except (ValueError, TypeError):
        return None
    if summary.key != key:
        return None
    return summary if all(storage.exists(p) for p in summary.files.values()) else None


def format_summary(summary: PrepareSummary) -> str:
    """The counts table and where the files went, for the `sentiment data` command."""
    rows = [
        [
            name,
            counts["total"],
            counts["positive"],
            counts["negative"],
            f"{summary.coverage[name]:.1%}",
            summary.median_tokens[name],
            f"{summary.truncated_share[name]:.1%}",
        ]
        for name, counts in summary.counts.items()
    ]
    table = markdown_table(
        ["split", "reviews", "positive", "negative", "vocab coverage", "median tokens", "truncated"], rows
    )
    state = "up to date (cached)" if summary.cached else "written"
    extra = summary.extra
    more = f"{extra.get('sentence_crops', 0):,} sentence crops of training reviews, " if extra.get("sentence_crops") else ""
    more += f"{extra['unlabelled']:,} unlabelled reviews, " if extra.get("unlabelled") else ""
    more += f"{extra.get('short_texts', 0):,} first sentences of test reviews (the short-text slice)\n"
    where = summary.files["word_dict"].rsplit("/", 1)[0]
    return (
        f"{table}\n\n"
        f"vocabulary: {summary.vocab_size:,} ids (sha256 {summary.word_dict_sha256[:12]}), "
        f"sequence length {summary.key['sequence_length']}\n{more}"
        f"files {state} in {where} in {summary.seconds:.1f} s"
    )
