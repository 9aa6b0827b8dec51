"""The pure policy choice: worked examples and hypothesis properties (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.catalog.matching import PolicyRule, TicketFacts, choose_policy, rule_matches

GOLD, KEY_ACME, STANDARD, CONTRACT_ONLY, IT_INCIDENTS = 1, 2, 3, 4, 5
ACME = 7
HVAC, IT = 20, 21

RULES = [
    PolicyRule(id=GOLD, order=10, tiers=["gold"]),
    PolicyRule(id=KEY_ACME, order=5, account_ids=[ACME], priorities=["P1"]),
    PolicyRule(id=STANDARD, order=100),
    PolicyRule(id=CONTRACT_ONLY, order=8, via_contract=True),
    PolicyRule(id=IT_INCIDENTS, order=20, service_ids=[IT], ticket_types=["incident"]),
]


def facts(**kw) -> TicketFacts:
    base = {
        "account_id": 99,
        "tier": "silver",
        "service_id": HVAC,
        "ticket_type": "incident",
        "priority": "P3",
    }
    return TicketFacts(**(base | kw))


@pytest.mark.parametrize(
    ("ticket", "expected", "why"),
    [
        (facts(account_id=ACME, tier="gold", priority="P1"), KEY_ACME, "order 5 is tried before Gold"),
        (facts(account_id=ACME, tier="gold", priority="P2"), GOLD, "the key-account rule wants P1"),
        (facts(), STANDARD, "a silver HVAC incident falls to the fallback"),
        (facts(service_id=IT), IT_INCIDENTS, "IT and incident: both conditions hold"),
        (facts(service_id=IT, ticket_type="question"), STANDARD, "conditions are ANDed"),
        (facts(contract_policy_ids={CONTRACT_ONLY}), CONTRACT_ONLY, "a contract grants it"),
        (facts(contract_policy_ids={GOLD}), STANDARD, "a contract naming another policy grants nothing here"),
        (facts(tier="gold", contract_policy_ids={CONTRACT_ONLY}), CONTRACT_ONLY, "order 8 before Gold's 10"),
        (facts(account_id=None, tier=None, service_id=None), STANDARD, "no account, no service: fallback"),
    ],
)
def test_worked_examples(ticket, expected, why):
    assert choose_policy(RULES, ticket) == expected, why


def test_no_rule_matches_without_a_fallback():
    rules = [r for r in RULES if r.id != STANDARD]
    assert choose_policy(rules, facts()) is None
    assert choose_policy([], facts()) is None


def test_a_condition_rejects_a_ticket_that_lacks_the_fact():
    assert not rule_matches(PolicyRule(id=1, order=1, service_ids=[HVAC]), facts(service_id=None))
    assert not rule_matches(PolicyRule(id=1, order=1, tiers=["gold"]), facts(tier=None))
    assert rule_matches(PolicyRule(id=1, order=1), facts(account_id=None, service_id=None, priority=None))


def test_fallback_means_no_condition_at_all():
    assert PolicyRule(id=1, order=1).is_fallback
    assert not PolicyRule(id=1, order=1, via_contract=True).is_fallback
    assert not PolicyRule(id=1, order=1, priorities=["P4"]).is_fallback


def test_rules_take_any_iterable_and_stay_hashable():
    rule = PolicyRule(id=1, order=1, tiers=["gold", "gold"], service_ids=(3, 4))
    assert rule.tiers == frozenset({"gold"}) and rule.service_ids == frozenset({3, 4})
    assert hash(rule) == hash(PolicyRule(id=1, order=1, tiers={"gold"}, service_ids=[4, 3]))


def test_ties_in_order_are_broken_by_id():
    rules = [PolicyRule(id=9, order=1), PolicyRule(id=4, order=1)]
    assert choose_policy(rules, facts()) == 4
    assert choose_policy(list(reversed(rules)), facts()) == 4


# --- properties ------------------------------------------------------------------------------------

ACCOUNTS = [1, 2, 3]
TIERS = ["gold", "silver", "bronze", "standard"]
SERVICES = [10, 11, 12]
TYPES = ["incident", "service_request", "complaint", "question"]
PRIORITIES = ["P1", "P2", "P3", "P4"]


def _subset(values):
    return st.frozensets(st.sampled_from(values), max_size=2)


conditions = st.fixed_dictionaries(
    {
        "account_ids": _subset(ACCOUNTS),
        "tiers": _subset(TIERS),
        "service_ids": _subset(SERVICES),
        "ticket_types": _subset(TYPES),
        "priorities": _subset(PRIORITIES),
        "via_contract": st.booleans(),
    }
)


@st.composite
def rule_sets(draw, min_size=0, max_size=8):
    """Rules with distinct ids and distinct orders (as the database keeps them)."""
    conds = draw(st.lists(conditions, min_size=min_size, max_size=max_size))
    orders = draw(st.lists(st.integers(0, 10_000), min_size=len(conds), max_size=len(conds), unique=True))
    return [PolicyRule(id=i + 1, order=o, **c) for i, (c, o) in enumerate(zip(conds, orders, strict=True))]


ticket_facts = st.builds(
    TicketFacts,
    account_id=st.one_of(st.none(), st.sampled_from(ACCOUNTS)),
    tier=st.one_of(st.none(), st.sampled_from(TIERS)),
    service_id=st.one_of(st.none(), st.sampled_from(SERVICES)),
    ticket_type=st.sampled_from(TYPES),
    priority=st.sampled_from(PRIORITIES),
    contract_policy_ids=st.frozensets(st.integers(1, 12), max_size=4),
)


@given(rule_sets(), ticket_facts, st.randoms())
def test_result_does_not_depend_on_the_order_of_the_list(rules, ticket, rnd):
    shuffled = list(rules)
    rnd.shuffle(shuffled)
    assert choose_policy(shuffled, ticket) == choose_policy(rules, ticket)


@given(rule_sets(), ticket_facts)
def test_the_chosen_rule_matches_and_no_earlier_rule_does(rules, ticket):
    chosen = choose_policy(rules, ticket)
    by_id = {r.id: r for r in rules}
    if chosen is None:
        assert not any(rule_matches(r, ticket) for r in rules)
    else:
        assert rule_matches(by_id[chosen], ticket)
        assert not any(rule_matches(r, ticket) for r in rules if r.order < by_id[chosen].order)


@given(rule_sets(min_size=1), conditions, ticket_facts)
def test_a_rule_added_later_in_order_never_changes_an_earlier_match(rules, extra, ticket):
    before = choose_policy(rules, ticket)
    later = PolicyRule(id=len(rules) + 1, order=max(r.order for r in rules) + 1, **extra)
    after = choose_policy([*rules, later], ticket)
    if before is not None:
        assert after == before
    else:
        assert after in (None, later.id)


@given(rule_sets(), ticket_facts)
def test_the_fallback_catches_everything_unmatched(rules, ticket):
    fallback = PolicyRule(id=100, order=max((r.order for r in rules), default=0) + 1)
    before = choose_policy(rules, ticket)
    after = choose_policy([*rules, fallback], ticket)
    assert after is not None
    assert after == (before if before is not None else fallback.id)


@given(rule_sets(), ticket_facts)
def test_via_contract_rules_need_their_own_contract(rules, ticket):
    without = TicketFacts(
        account_id=ticket.account_id,
        tier=ticket.tier,
        service_id=ticket.service_id,
        ticket_type=ticket.ticket_type,
        priority=ticket.priority,
        contract_policy_ids=frozenset(),
    )
    chosen = choose_policy(rules, without)
    if chosen is not None:
        assert not next(r for r in rules if r.id == chosen).via_contract
