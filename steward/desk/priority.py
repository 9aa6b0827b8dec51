"""Ticket priority from impact and urgency: the ITIL-style 3x3 matrix. Pure, no ORM.

================  =========  =========  =========
impact \\ urgency  high       medium     low
================  =========  =========  =========
high              P1         P2         P3
medium            P2         P3         P4
low               P3         P4         P4
================  =========  =========  =========

(The classic five-level matrix with its two lowest levels folded into P4.)
"""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("high", "medium", "low")
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")


def priority_from_matrix(impact: str, urgency: str) -> str:
    """The priority for an impact and an urgency (each "high", "medium" or "low")."""
    try:
        score = LEVELS.index(impact) + LEVELS.index(urgency)  # 0 (high/high) .. 4 (low/low)
    except ValueError:
        raise ValueError(f"impact and urgency must be one of {', '.join(LEVELS)}") from None
    return PRIORITIES[min(score, 3)]
