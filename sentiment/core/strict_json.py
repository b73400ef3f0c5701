"""JSON as RFC 8259 defines it, for every body a caller sends us (the API and the model server alike):
Python's `json` also takes NaN, Infinity and -Infinity, which no other parser reads; here they are an
error, like nesting past the interpreter's limit and numbers of more than 4,300 digits, each with a
message that says which."""

from __future__ import annotations

import json
from typing import Any


class JSONError(ValueError):
    """The text is not JSON we read; `str()` says why, in words for the caller."""


def _no_constant(name: str) -> Any:
    raise JSONError(f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def loads(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except JSONError:
        raise
    except json.JSONDecodeError as exc:
        raise JSONError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise JSONError("nested too deeply") from None
    except ValueError:  # a number of more than 4,300 digits
        raise JSONError("holds a number too long to read") from None
