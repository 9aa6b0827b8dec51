"""The demo's catalog: services, SLA policies by tier with a fallback, contracts valid today, and
the policy each kind of account gets."""

from __future__ import annotations

from datetime import date

import pytest

from steward.catalog import selectors
from steward.catalog.models import Contract, Service, SlaPolicy
from steward.core.models import AuditEvent
from steward.customers.models import CustomerAccount
from steward.demo import generator
from steward.demo.generator import load_demo

TODAY = date(2026, 5, 4)


def test_contract_plan_is_deterministic_and_valid_today():
    plans = generator.plan_accounts(5, accounts=40, today=TODAY)
    contracts = generator.plan_contracts(5, plans, today=TODAY)
    assert contracts == generator.plan_contracts(5, plans, today=TODAY)
    tiered = [i for i, p in enumerate(plans) if p.tier in ("gold", "silver")]
    assert sorted({c["account"] for c in contracts}) == tiered
    assert sum(c["policy"] == "datacentre" for c in contracts) == generator.DATACENTRE_CONTRACTS
    for c in contracts:
        assert c["valid_from"] <= TODAY <= c["valid_to"]
        assert c["policy"] in ("gold", "silver", "datacentre")
    assert len({c["reference"] for c in contracts}) == len(contracts)


@pytest.mark.django_db
def test_demo_loads_the_catalog_through_the_services():
    result = load_demo(seed=11, today=TODAY, accounts=30, agents=2, technicians=3)
    assert result.counts["services"] == Service.objects.count() == len(generator.SERVICE_CATALOG)
    assert 4 <= Service.objects.values("category").distinct().count() <= 5
    assert Service.objects.filter(needs_field_visit=True).exclude(required_skills=[]).exists()
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == [
        "Data centre 24/7", "Gold 24/7", "Silver business hours", "Bronze business hours", "Standard",
    ]  # fmt: skip
    gold = SlaPolicy.objects.get(name="Gold 24/7")
    assert gold.calendar.spec.get("always") is True
    assert SlaPolicy.objects.get(name="Silver business hours").calendar.name == "Berlin office hours"
    for policy in SlaPolicy.objects.all():
        spec = selectors.policy_as_replay_dict(policy)
        assert spec["pause_statuses"] == ["pending", "on_hold"] and spec["warning_percent"] == 80
        assert policy.escalations.exists()
    assert selectors.policy_as_replay_dict(gold)["targets"]["first_response"]["P1"] == 15
    assert selectors.policy_as_replay_dict(gold)["targets"]["resolution"]["P1"] == 240
    assert selectors.policy_rule(SlaPolicy.objects.get(name="Standard")).is_fallback

    tiered = CustomerAccount.objects.filter(tier__in=("gold", "silver"))
    assert set(Contract.objects.values_list("account_id", flat=True)) == set(
        tiered.values_list("pk", flat=True)
    )
    assert all(c.is_valid_on(date.today()) or c.is_valid_on(TODAY) for c in Contract.objects.all())
    assert AuditEvent.objects.filter(action="service.create").count() == Service.objects.count()
    assert AuditEvent.objects.filter(action="contract.create").count() == Contract.objects.count()

    server = Service.objects.get(code="server-outage")
    hvac = Service.objects.get(code="hvac-repair")
    expected = {"gold": "Gold 24/7", "silver": "Silver business hours", "bronze": "Bronze business hours",
                "standard": "Standard"}  # fmt: skip
    datacentre_accounts = set(
        Contract.objects.filter(policy__name="Data centre 24/7").values_list("account_id", flat=True)
    )
    assert datacentre_accounts
    for account in CustomerAccount.objects.all():
        chosen = selectors.policy_for_ticket(
            account=account, service=hvac, ticket_type="incident", priority="P2", on_date=TODAY
        )
        assert chosen.name == expected[account.tier], account.tier
        outage = selectors.policy_for_ticket(
            account=account, service=server, ticket_type="incident", priority="P1", on_date=TODAY
        )
        if account.pk in datacentre_accounts:
            assert outage.name == "Data centre 24/7"
        else:
            assert outage.name == expected[account.tier]
