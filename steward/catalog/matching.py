"""Which SLA policy governs a ticket: ordered conditions, the first match wins.

Pure Python, no ORM: `catalog.selectors.policy_for_ticket` turns the stored policies and the
ticket into `PolicyRule`s and `TicketFacts` and calls `choose_policy`.

The rules (DESIGN.md, SLA):

* A rule's conditions are each optional and ANDed: the ticket's account is one of `account_ids`,
  the account's tier one of `tiers`, the service one of `service_ids`, the ticket type one of
  `ticket_types`, the priority one of `priorities`. An empty condition accepts anything; a
  non-empty condition rejects a ticket that lacks the fact (no account, no service).
* `via_contract`: the rule matches only if the account holds a contract valid on the ticket's
  creation date that names this policy and covers the service (`TicketFacts.contract_policy_ids`).
* A rule with no condition at all matches every ticket: the fallback. Give it the highest order.
* Rules are tried by `order` (ties, which the database forbids, by id), so the result does not
  depend on the order of the input list. No match: None.

Worked examples, with Gold (order 10, tiers {gold}), Key account ACME (order 5, accounts {7},
priorities {P1}) and Standard (order 100, no conditions):

* ACME (id 7, gold) P1 → Key account ACME (order 5 is tried before Gold).
* ACME P2 → Gold (the key-account rule wants P1).
* A silver account → Standard, the fallback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["PolicyRule", "TicketFacts", "choose_policy", "rule_matches"]


def _frozen(values: Iterable) -> frozenset:
    return values if isinstance(values, frozenset) else frozenset(values)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    id: int
    order: int
    account_ids: frozenset[int] = field(default_factory=frozenset)
    tiers: frozenset[str] = field(default_factory=frozenset)
    service_ids: frozenset[int] = field(default_factory=frozenset)
    ticket_types: frozenset[str] = field(default_factory=frozenset)
    priorities: frozenset[str] = field(default_factory=frozenset)
    via_contract: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable (lists from JSON fields); keep frozensets so rules are hashable.
        for name in ("account_ids", "tiers", "service_ids", "ticket_types", "priorities"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def is_fallback(self) -> bool:
        """No condition at all: matches every ticket."""
        return not (
            self.account_ids
            or self.tiers
            or self.service_ids
            or self.ticket_types
            or self.priorities
            or self.via_contract
        )


@dataclass(frozen=True, slots=True)
class TicketFacts:
    account_id: int | None
    tier: str | None
    service_id: int | None
    ticket_type: str | None
    priority: str | None
    # Ids of the policies that the account's contracts valid on the ticket's date grant for its service.
    contract_policy_ids: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "contract_policy_ids", _frozen(self.contract_policy_ids))


def _accepts(allowed: frozenset, value) -> bool:
    return not allowed or (value is not None and value in allowed)


def rule_matches(rule: PolicyRule, facts: TicketFacts) -> bool:
    return (
        _accepts(rule.account_ids, facts.account_id)
        and _accepts(rule.tiers, facts.tier)
        and _accepts(rule.service_ids, facts.service_id)
        and _accepts(rule.ticket_types, facts.ticket_type)
        and _accepts(rule.priorities, facts.priority)
        and (not rule.via_contract or rule.id in facts.contract_policy_ids)
    )


def choose_policy(rules: Iterable[PolicyRule], facts: TicketFacts) -> int | None:
    """The id of the first rule (by order, then id) that matches the ticket, or None."""
    for rule in sorted(rules, key=lambda r: (r.order, r.id)):
        if rule_matches(rule, facts):
            return rule.id
    return None
