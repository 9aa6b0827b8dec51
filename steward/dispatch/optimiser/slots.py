"""Appointment booking: the slots in which a qualified technician can still fit a new job
without breaking the plan.

A slot is a promise to the customer: the technician starts the job between ``start`` and
``end``. For each candidate slot the job is given that slot as its window and offered to the
cheapest feasible insertion into the current plan (:class:`~.schedule.Inserter`): every
other job keeps its technician and order and stays inside its own window, breaks and shift
ends hold. A slot is offered only if such an insertion exists, so availability follows the
real plan (travel, windows, breaks), not a fixed grid of free hours.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .problem import Job, Plan, Problem, TimeWindow
from .schedule import Inserter, _index


@dataclass(frozen=True, slots=True)
class Slot:
    start: int
    end: int
    technician: str
    shift_id: str
    expected_start: int  # when the technician would start, as planned now (inside the slot)
    extra_cost: int  # what fitting the job there adds to the plan's cost


def candidate_slots(problem: Problem, slot_length: int, *, step: int | None = None) -> list[int]:
    """Slot starts to try when the caller has none: every ``step`` (default: the slot
    length) from the earliest shift start to the latest shift end, per day of the horizon."""
    step = step or slot_length
    idx = _index(problem)
    starts: set[int] = set()
    for shift in idx.shifts.values():
        t = shift.start
        while t + slot_length <= shift.end + shift.max_overtime:
            starts.add(t)
            t += step
    return sorted(starts)


def available_slots(
    problem: Problem,
    plan: Plan,
    job: Job,
    *,
    slot_length: int,
    candidates: Iterable[int] | None = None,
    shift_ids: Sequence[str] | None = None,
) -> list[Slot]:
    """The candidate slots ``[start, start + slot_length]`` in which ``job`` fits the plan,
    each with the technician who would do it (the cheapest insertion; ties by shift order).
    ``job`` need not be in ``problem`` (a job being booked); its own window, if any, further
    limits the slots. The plan is not changed."""
    if slot_length <= 0:
        raise ValueError("slot_length must be positive")
    starts = sorted(set(candidates)) if candidates is not None else candidate_slots(problem, slot_length)
    others = [j for j in problem.jobs if j.id != job.id]
    booking = dataclasses.replace(problem, jobs=[*others, job])
    idx = _index(booking)
    inserter = Inserter(booking, plan, exclude=job.id)
    offered: list[Slot] = []
    for start in starts:
        window = TimeWindow(start, start + slot_length)
        if job.window is not None:
            lo, hi = max(window.start, job.window.start), min(window.end, job.window.end)
            if lo > hi:
                continue
            window = TimeWindow(lo, hi)
        # The index is private to `booking`: swap in the job as it would be booked in this slot.
        idx.jobs[job.id] = dataclasses.replace(job, window=window, pinned_start=None)
        ins = inserter.best(job.id, shift_ids=shift_ids)
        if ins is None:
            continue
        visit = next(v for v in ins.result.route.visits if v.job_id == job.id)
        offered.append(
            Slot(
                start=start,
                end=start + slot_length,
                technician=ins.result.route.technician,
                shift_id=ins.shift_id,
                expected_start=visit.start,
                extra_cost=ins.delta_cost,
            )
        )
    idx.jobs[job.id] = job
    return offered
