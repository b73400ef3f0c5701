"""The text a reader sees in a review that may hold HTML, with the source span of every character.

Reviews come with markup (IMDB's `<br />`, pasted `<i>`, entities like `&eacute;` or `&#x41;`).
`visible_text` removes tags, comments and script/style elements and decodes entities, the way
BeautifulSoup's html.parser does, and maps each visible character back to the characters of the
original review that produced it: a decoded entity maps to the whole entity, so a word like
`caf&eacute;` is found as "café" and its span covers `caf&eacute;` exactly. Tags become word
boundaries.

Spans count Unicode code points of the original text (Python's `str` indices; a browser must
not use UTF-16 indices, see static/js/render.js).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from dataclasses import dataclass, field

BOUNDARY = "\x00"  # what a tag becomes in the visible text: never part of a word
# A tag starts with < or </ and a letter (or <! or <?): "a < b", "<3" and "</3" stay text, as in browsers.
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"  # a comment (unterminated: to the end)
    r"|<(script|style)\b[^>]*>.*?(?:</\1\s*>|\Z)"  # code, not text: the element and its content
    r"|</?[A-Za-z][^>]*(?:>|\Z)|<[!?][^>]*(?:>|\Z)"  # a tag, a declaration or processing instruction
    r"|&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};?)",  # an entity
    re.DOTALL | re.IGNORECASE,
)


@dataclass(frozen=True)
class VisibleText:
    """The visible text and where it came from, as segments: visible characters from `starts[k]` on
    come from the source at `sources[k]` on, one for one (`whole[k]` False), or all from the whole
    source range of the segment (`whole[k]` True: a decoded entity, a tag)."""

    text: str
    starts: list[int] = field(default_factory=lambda: [0])
    sources: list[int] = field(default_factory=lambda: [0])
    whole: list[bool] = field(default_factory=lambda: [False])
    source_length: int = 0

    def _source_of(self, index: int) -> tuple[int, int]:
        k = bisect_right(self.starts, index) - 1
        if self.whole[k]:
            stop = self.sources[k + 1] if k + 1 < len(self.sources) else self.source_length
            return self.sources[k], stop
        at = self.sources[k] + index - self.starts[k]
        return at, at + 1

    def span(self, first: int, stop: int) -> tuple[int, int]:
        """The source span of visible characters first..stop-1."""
        return self._source_of(first)[0], self._source_of(stop - 1)[1]


def visible_text(source: str) -> VisibleText:
    """`source` with markup removed and entities decoded, and where each character came from."""
    if "<" not in source and "&" not in source:
        return VisibleText(source, source_length=len(source))
    pieces: list[str] = []
    starts: list[int] = []
    sources: list[int] = []
    whole: list[bool] = []
    visible = cursor = 0

    def add(text: str, source_at: int, is_whole: bool) -> None:
        nonlocal visible
        if text:
            pieces.append(text)
            starts.append(visible)
            sources.append(source_at)
            whole.append(is_whole)
            visible += len(text)

    for match in _MARKUP.finditer(source):
        begin, end = match.span()
        add(source[cursor:begin], cursor, False)
        token = match.group()
        decoded = BOUNDARY if token[0] == "<" else html.unescape(token)
        if decoded == token:  # not an entity after all (&bogus; stays as written)
            add(token, begin, False)
        else:  # the whole span ends where the next segment's source starts (or the source ends)
            add(decoded, begin, True)
        cursor = end
    add(source[cursor:], cursor, False)
    return VisibleText("".join(pieces), starts or [0], sources or [0], whole or [False], len(source))
