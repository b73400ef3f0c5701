"""Admission: a worker takes on scoring only while all it has taken on can finish within the deadline.

Every worker of the model server scores on one core, so the requests it has accepted finish, at the
latest, when all their work is done: a new request is admitted only if the work already admitted and
its own fit in the invocation deadline (SageMaker's 60 s for a real-time endpoint; `--deadline`), with a
margin for parsing and answering. Otherwise it is refused at once, 503 `overloaded` with `Retry-After`
(the seconds until the work admitted now is done), rather than queued to time out.

The work of a request is estimated twice: when its body has arrived (from its size, before it waits for
a thread; a generous guess) and again once it is parsed (from its real ids and whether it asks for
explanations); only work beyond the first guess can still be refused then. The
cost per id is measured when the worker starts, scoring a few rows, and follows what requests take.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from sentiment.serving.handlers import EndpointError

DEADLINE_S = 60.0  # SageMaker real-time InvokeEndpoint: the container must answer within 60 s
WORK_SHARE = 0.8  # of the deadline that admitted work may fill: the rest for parsing, queueing, answering
BYTES_PER_ID = 4  # "1234," and the like: a body's ids, guessed from its size before it is parsed
PARSE_S_PER_MB = 0.1  # reading 1 MB of JSON or CSV into rows


@dataclass
class Cost:
    """Seconds per real id, plain and explained, on this worker's core (updated as requests run)."""

    plain_s_per_id: float
    explain_factor: float = 1.5
    smoothing: float = 0.2

    def seconds(self, ids: int, explain: bool, body_bytes: int = 0) -> float:
        per_id = self.plain_s_per_id * (self.explain_factor if explain else 1.0)
        return ids * per_id + body_bytes / 1e6 * PARSE_S_PER_MB

    def observe(self, ids: int, explain: bool, seconds: float) -> None:
        """Follow what a request took (requests of some size only: small ones are mostly overhead)."""
        if ids >= 10_000:
            measured = seconds / ids / (self.explain_factor if explain else 1.0)
            self.plain_s_per_id += self.smoothing * (measured - self.plain_s_per_id)


@dataclass
class Admission:
    """The estimated seconds of scoring this worker has admitted and not finished."""

    cost: Cost
    deadline_s: float = DEADLINE_S
    _pending: dict[int, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 0

    @property
    def budget_s(self) -> float:
        return self.deadline_s * WORK_SHARE

    @property
    def pending_s(self) -> float:
        with self._lock:
            return sum(self._pending.values())

    def _refusal(self, pending: float, seconds: float) -> EndpointError:
        wait = max(1, math.ceil(pending))  # by then, what is admitted now is done
        message = (
            f"this worker has {pending:.1f} s of scoring to finish and the request needs about {seconds:.1f} s: "
            f"more than fits in the {self.deadline_s:g} s deadline; retry in {wait} s"
        )
        return EndpointError(503, "overloaded", message, retry_after=wait)

    def reserve(self, seconds: float) -> int:
        """A ticket for `seconds` of work; EndpointError 503 when it does not fit. A request that alone
        exceeds the budget is admitted only onto an idle worker (the limits bound it already)."""
        with self._lock:
            pending = sum(self._pending.values())
            if pending > 0 and pending + seconds > self.budget_s:
                raise self._refusal(pending, seconds)
            self._next += 1
            self._pending[self._next] = seconds
            return self._next

    def revise(self, ticket: int, seconds: float, waited_s: float) -> None:
        """The ticket's work, known now (after `waited_s` since it arrived). Work within what was reserved
        stays admitted (a request is never turned away after it was taken on for what it is); work past
        it raises EndpointError 503, and the ticket is released, when the excess no longer fits."""
        with self._lock:
            reserved = self._pending.get(ticket, 0.0)
            others = sum(v for k, v in self._pending.items() if k != ticket)
            if seconds > reserved and others > 0 and waited_s + others + seconds > self.budget_s:
                self._pending.pop(ticket, None)
                raise self._refusal(others, seconds)
            self._pending[ticket] = seconds

    def release(self, ticket: int) -> None:
        with self._lock:
            self._pending.pop(ticket, None)


def measure_cost(score: object, rows: int = 8, width: int = 400, repeats: int = 3) -> Cost:
    """The plain cost per id of `score(ids, lengths)` on this core, from a few rows of `width` ids."""
    import numpy as np

    ids = np.full((rows, width), 2, dtype=np.int64)
    lengths = np.full(rows, width, dtype=np.int64)
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        score(ids, lengths)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return Cost(plain_s_per_id=best / (rows * width))
