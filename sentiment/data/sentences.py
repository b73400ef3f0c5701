"""Reviews cut into sentences: the evaluation's short-text slice and sentence-level training examples.

A sentence ends at ".", "!", "?" or "…" (runs of them, and a closing quote or bracket after them)
followed by white space, or at a line break (IMDB's `<br />` included; other tags are no break).
Good enough for reviews: abbreviations ("Mr. Smith") cut a sentence short, which only makes a short
text shorter.
"""

from __future__ import annotations

import random
import re

from sentiment.text.markup import BOUNDARY, visible_text

_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'’”)\]]))\s+|\n+")
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]")


def sentences(review: str) -> list[str]:
    """The sentences of a review that hold at least one letter or digit, in order."""
    text = visible_text(_LINE_BREAK.sub("\n", review)).text.replace(BOUNDARY, " ")
    return [piece.strip() for piece in _END.split(text) if _WORD.search(piece)]


def first_sentence(review: str) -> str:
    """The review's first sentence (the review itself when it has no letter or digit)."""
    found = sentences(review)
    return found[0] if found else review


def crop(review: str, rng: random.Random, most: int = 2) -> str:
    """A random run of 1..`most` consecutive sentences of the review."""
    found = sentences(review) or [review]
    count = rng.randint(1, min(most, len(found)))
    start = rng.randrange(len(found) - count + 1)
    return " ".join(found[start : start + count])
