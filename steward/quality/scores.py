"""Survey scores: the CSAT and NPS formulas, as pure arithmetic (no ORM).

Both KPIs are shares of the answers that were actually given: a response without a CSAT score
does not count towards CSAT, one without an NPS score not towards NPS. With no answers the score
is undefined (None), never 0, so an empty team does not look like a failing one.

**CSAT** (customer satisfaction) is the percentage of CSAT answers that are satisfied, i.e. 4 or
5 on the 1-to-5 scale ("top-two-box"):

    csat_percent([5, 4, 3, 1]) == 50.0     # 2 satisfied of 4 answers
    csat_percent([5, None, 2]) == 50.0     # the unanswered one does not count
    csat_percent([]) is None

**NPS** (net promoter score) is the percentage of promoters (9 or 10 on the 0-to-10 scale) minus
the percentage of detractors (0 to 6), in points from -100 to +100; passives (7, 8) count only in
the denominator:

    nps([10, 9, 8, 7, 6]) == 20.0          # 40 % promoters - 20 % detractors
    nps([0, 10]) == 0.0
    nps([6, 6, 6]) == -100.0

The analytics app and the survey selectors compute the counts in SQL (``COUNT(*) FILTER``) and
pass them to the ``*_from_counts`` functions, so the database never ships rows to Python and the
formula exists once.
"""

from __future__ import annotations

from collections.abc import Iterable

CSAT_MIN, CSAT_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
CSAT_SATISFIED_MIN = 4  # 4 and 5 are satisfied
NPS_PROMOTER_MIN = 9  # 9 and 10 are promoters
NPS_DETRACTOR_MAX = 6  # 0 to 6 are detractors; 7 and 8 are passives

# The NPS bands by name, as inclusive score ranges (the staff pages and the API filter by them).
NPS_BANDS: dict[str, tuple[int, int]] = {
    "promoter": (NPS_PROMOTER_MIN, NPS_MAX),
    "passive": (NPS_DETRACTOR_MAX + 1, NPS_PROMOTER_MIN - 1),
    "detractor": (NPS_MIN, NPS_DETRACTOR_MAX),
}


def _check(score: int, low: int, high: int, name: str) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {score!r}")
    return score


def nps_band(score: int) -> str:
    """ "promoter", "passive" or "detractor" for an NPS answer."""
    _check(score, NPS_MIN, NPS_MAX, "NPS")
    return next(name for name, (low, high) in NPS_BANDS.items() if low <= score <= high)


def csat_percent_from_counts(*, satisfied: int, answered: int) -> float | None:
    """Percentage of satisfied answers (4 or 5) among ``answered`` CSAT answers; None if none."""
    if answered < 0 or not 0 <= satisfied <= answered:
        raise ValueError(f"need 0 <= satisfied <= answered, got {satisfied} of {answered}")
    if answered == 0:
        return None
    return 100.0 * satisfied / answered


def nps_from_counts(*, promoters: int, detractors: int, answered: int) -> float | None:
    """Percent promoters minus percent detractors among ``answered`` NPS answers; None if none."""
    if answered < 0 or promoters < 0 or detractors < 0 or promoters + detractors > answered:
        raise ValueError(
            f"need promoters + detractors <= answered, got {promoters} + {detractors} of {answered}"
        )
    if answered == 0:
        return None
    return 100.0 * (promoters - detractors) / answered


def csat_percent(scores: Iterable[int | None]) -> float | None:
    """CSAT of a list of answers (None for a response without a CSAT score)."""
    given = [_check(s, CSAT_MIN, CSAT_MAX, "CSAT") for s in scores if s is not None]
    return csat_percent_from_counts(
        satisfied=sum(1 for s in given if s >= CSAT_SATISFIED_MIN), answered=len(given)
    )


def nps(scores: Iterable[int | None]) -> float | None:
    """NPS of a list of answers (None for a response without an NPS score)."""
    given = [_check(s, NPS_MIN, NPS_MAX, "NPS") for s in scores if s is not None]
    return nps_from_counts(
        promoters=sum(1 for s in given if s >= NPS_PROMOTER_MIN),
        detractors=sum(1 for s in given if s <= NPS_DETRACTOR_MAX),
        answered=len(given),
    )
