"""Admission of heavy work: refused at once when it cannot finish in the deadline, never turned away
once taken on for what it is."""

from __future__ import annotations

import pytest

from sentiment.serving.admission import Admission, Cost
from sentiment.serving.handlers import EndpointError


def admission() -> Admission:
    return Admission(Cost(plain_s_per_id=1e-6), deadline_s=10.0)  # 8 s of work may be admitted


def test_an_idle_worker_takes_any_request_and_a_busy_one_refuses_what_does_not_fit() -> None:
    gate = admission()
    first = gate.reserve(20.0)  # alone past the budget: the limits bound it already
    with pytest.raises(EndpointError) as refused:
        gate.reserve(1.0)
    assert refused.value.status == 503 and refused.value.code == "overloaded"
    assert refused.value.retry_after == 20
    gate.release(first)
    assert gate.pending_s == 0 and gate.reserve(1.0)


def test_work_within_its_reservation_stays_admitted_however_long_it_waited() -> None:
    gate = admission()
    gate.reserve(5.0)
    ticket = gate.reserve(3.0)
    gate.revise(ticket, 2.5, waited_s=7.0)  # parsed: less than guessed
    assert gate.pending_s == pytest.approx(7.5)


def test_work_past_its_reservation_is_refused_when_it_no_longer_fits() -> None:
    gate = admission()
    gate.reserve(5.0)
    ticket = gate.reserve(2.0)
    gate.revise(ticket, 2.9, waited_s=0.0)  # more than guessed, still fits
    with pytest.raises(EndpointError):
        gate.revise(ticket, 4.0, waited_s=0.5)
    assert gate.pending_s == pytest.approx(5.0)  # the refused ticket is released
