"""User-facing errors: each carries one clear message and never a traceback for the caller."""


class SentimentError(Exception):
    """Base class for errors caused by the caller's input or environment."""


class ArchiveError(SentimentError):
    """The IMDB archive is missing, truncated, corrupt, unsafe or not the expected dataset."""


class DataError(SentimentError):
    """A data file (review, CSV, word dictionary) is malformed."""


class ConfigError(SentimentError):
    """An option or setting has a value we cannot use."""


class HttpError(SentimentError):
    """A request refused over HTTP: status, a short machine-readable code and a message for the caller."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after  # seconds, for a refusal that passes (Retry-After)

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}
