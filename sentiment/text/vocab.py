"""The word dictionary: build from training stems, map stems to ids, save/load as JSON.

Pure Python (no torch, no numpy): the Lambda layer carries this module; padded numpy arrays are
made by `encoding.py` on the training and scoring side. Id 0 pads, id 1 stands for any word that
is not in the dictionary; the other ids go to the most frequent stems, most frequent first.
The content hash ties a model to the dictionary it was trained with.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sentiment.core.errors import ConfigError, DataError
from sentiment.text.preprocess import DEFAULT_VERSION, unmarked

PAD_ID = 0
UNKNOWN_ID = 1
RESERVED = 2
FORMAT = "sentiment-word-dict/1"
WORD_DICT_FILE = "word_dict.json"  # its name in a data folder, an artifact and the Lambda layer


@dataclass(frozen=True)
class WordDict:
    """Stems in id order: `words[i]` has id `i + 2`."""

    words: tuple[str, ...]
    preprocessor: str = DEFAULT_VERSION  # the preprocessing version its words come from
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = dict(zip(self.words, range(RESERVED, RESERVED + len(self.words)), strict=True))  # C speed: cold starts
        if len(index) != len(self.words):
            raise DataError("word dictionary lists a word twice")
        object.__setattr__(self, "_index", index)

    @property
    def size(self) -> int:
        """Number of ids, the two reserved ones included (the model's embedding rows)."""
        return len(self.words) + RESERVED

    @cached_property
    def sha256(self) -> str:
        """Content hash: the same words, order and preprocessor give the same hash (computed once)."""
        payload = json.dumps([FORMAT, self.preprocessor, list(self.words)], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def id_of(self, stem: str) -> int:
        return self._index.get(stem, UNKNOWN_ID)

    def ids(self, stems: Iterable[str]) -> list[int]:
        """Ids of all stems, unpadded."""
        get = self._index.get
        return [get(s, UNKNOWN_ID) for s in stems]

    def unmarked_ids(self) -> list[int]:
        """For every id, the id of its word without a negation mark ("not_good" -> the id of "good";
        UNKNOWN_ID if that word is not in the dictionary); ids of unmarked words map to themselves."""
        table = list(range(self.size))
        for i, word in enumerate(self.words):
            plain = unmarked(word)
            if plain != word:
                table[i + RESERVED] = self.id_of(plain)
        return table

    def model_ids(self, stems: Sequence[str], length: int) -> list[int]:
        """The ids a model reads: the first `length`, and one UNKNOWN_ID for a review with no words
        (a model needs at least one step)."""
        return self.ids(stems[:length]) or [UNKNOWN_ID]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "preprocessor": self.preprocessor,
                "pad_id": PAD_ID,
                "unknown_id": UNKNOWN_ID,
                "size": self.size,
                "sha256": self.sha256,
                "words": list(self.words),
            },
            ensure_ascii=False,
        )

    def save(self, path: str | Path) -> None:
        """Write the dictionary to a local file (data preparation writes through `storage`, S3 included)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, source: str = "word dictionary") -> WordDict:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{source} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DataError(f"{source} is not a {FORMAT} file")
        words = data.get("words")
        if not isinstance(words, list) or not set(map(type, words)) <= {str} or "" in words:
            raise DataError(f"{source}: 'words' must be a list of non-empty strings")
        loaded = cls(tuple(words), str(data.get("preprocessor", "")))
        if data.get("sha256") != loaded.sha256:
            raise DataError(f"{source}: content hash does not match its words (edited or damaged)")
        return loaded

    @classmethod
    def load(cls, path: str | Path) -> WordDict:
        try:
            text = Path(path).read_text("utf-8")
        except FileNotFoundError:
            raise DataError(f"word dictionary not found: {path}") from None
        except UnicodeDecodeError:
            raise DataError(f"word dictionary is not UTF-8 text: {path}") from None
        return cls.from_json(text, str(path))


def build(docs: Iterable[Iterable[str]], size: int, preprocessor: str = DEFAULT_VERSION) -> WordDict:
    """Dictionary of the `size - 2` most frequent words of `docs` (preprocessing version `preprocessor`;
    ties broken alphabetically)."""
    if size <= RESERVED:
        raise ConfigError(f"vocabulary size must be more than {RESERVED}, got {size}")
    counts: Counter[str] = Counter()
    for stems in docs:
        counts.update(stems)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return WordDict(tuple(word for word, _ in ranked[: size - RESERVED]), preprocessor)


def coverage(word_dict: WordDict, docs: Iterable[Sequence[str]]) -> float:
    """Share of tokens that have their own id (not UNKNOWN_ID)."""
    known = total = 0
    index = word_dict._index
    for stems in docs:
        total += len(stems)
        known += sum(1 for s in stems if s in index)
    return known / total if total else 0.0
