"""Catalog writes and reads: permissions, validation naming fields, whole-replacement of nested
rows (atomic), audit events, scoping, and which policy governs a ticket."""

from __future__ import annotations

import datetime as dt

import pytest

from steward.catalog import selectors, services
from steward.catalog.models import Contract, EscalationLevel, Service, SlaPolicy, SlaTarget
from steward.core.errors import Forbidden, NotFound, ValidationFailed
from steward.core.models import AuditEvent
from steward.desk import sla
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

TARGETS = [
    {"priority": "P1", "first_response_minutes": 15, "next_response_minutes": 30, "resolution_minutes": 240,
     "onsite_minutes": 240},
    {"priority": "P2", "first_response_minutes": 60, "resolution_minutes": 480},
]  # fmt: skip


def _events(obj, action: str | None = None):
    qs = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return qs.filter(action=action) if action else qs


def _policy(actor, **kw) -> SlaPolicy:
    data = {"name": "Gold", "order": 10, "tiers": ["gold"], "pause_statuses": ["pending"], "targets": TARGETS}
    return services.sla_policy_create(actor=actor, **(data | kw))


# --- services ------------------------------------------------------------------------------------


def test_service_create_update_audited(world):
    manager = world.users["manager"]
    svc = services.service_create(
        actor=manager,
        name="HVAC repair",
        code="hvac-repair",
        category="HVAC",
        needs_field_visit=True,
        required_skills=[" hvac ", "f-gas", "hvac"],
    )
    assert svc.required_skills == ["hvac", "f-gas"]
    assert _events(svc, "service.create").get().changes["code"] == [None, "hvac-repair"]
    services.service_update(actor=world.users["admin"], service=svc, portal_visible=False)
    assert _events(svc, "service.update").get().changes == {"portal_visible": [True, False]}


@pytest.mark.parametrize("role", ["agent", "dispatcher", "technician", "customer_a_admin"])
def test_only_admins_and_managers_edit_the_catalog(world, role):
    with pytest.raises(Forbidden):
        services.service_create(actor=world.users[role], name="X", code="x", category="C")
    with pytest.raises(Forbidden):
        services.sla_policy_create(actor=world.users[role], name="P", order=1)
    assert not Service.objects.exists() and not SlaPolicy.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "not a slug"}, "code"),
        ({"standard_duration_minutes": 0}, "standard_duration_minutes"),
        ({"required_skills": "hvac"}, "required_skills"),
        ({"required_skills": [""]}, "required_skills"),
        ({"default_priority": "P9"}, "default_priority"),
        ({"name": "Taken"}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_service_validation_names_the_field(world, changes, field):
    f.ServiceFactory(name="Taken", code="taken")
    data = {"name": "New", "code": "new", "category": "HVAC"} | changes
    with pytest.raises(ValidationFailed) as exc:
        services.service_create(actor=world.users["admin"], **data)
    assert field in exc.value.fields, exc.value.fields


# --- SLA policies --------------------------------------------------------------------------------


def test_policy_create_with_targets_escalations_and_conditions(world):
    admin = world.users["admin"]
    team = f.TeamFactory()
    svc = f.ServiceFactory()
    calendar = f.CalendarFactory()
    policy = _policy(
        admin,
        calendar=calendar,
        customer_accounts=[world.account_a],
        services=[svc],
        escalations=[
            {"target": "resolution", "offset_minutes": -30, "actions": [{"type": "notify_team", "team_id": team.pk}]},
            {"target": "resolution", "offset_minutes": 0, "actions": [{"type": "reassign_team", "team_id": team.pk},
                                                                       {"type": "raise_priority"}]},
            {"target": "first_response", "offset_minutes": 15,
             "actions": [{"type": "notify_users", "user_ids": [world.users["manager"].pk]}]},
        ],
    )  # fmt: skip
    assert policy.targets.count() == 2 and policy.escalations.count() == 3
    assert set(policy.customer_accounts.all()) == {world.account_a}
    actions = set(
        AuditEvent.objects.filter(object_id=str(policy.pk), object_type="catalog.slapolicy").values_list(
            "action", flat=True
        )
    )
    assert actions == {"sla_policy.create", "sla_policy.conditions", "sla_policy.targets"}

    spec = selectors.policy_as_replay_dict(policy)
    assert spec == {
        "calendar": calendar.spec,
        "pause_statuses": ["pending"],
        "warning_percent": 80,
        "targets": {
            "first_response": {"P1": 15, "P2": 60},
            "next_response": {"P1": 30},
            "resolution": {"P1": 240, "P2": 480},
            "onsite": {"P1": 240},  # the on-site target is replayed too (desk.sla rule 12)
        },
    }
    assert sla.parse_policy(spec).target_us("resolution", "P2") == 480 * 60_000_000
    assert selectors.onsite_minutes(policy, "P1") == 240 and selectors.onsite_minutes(policy, "P2") is None


def test_replay_dict_of_a_24_7_policy_drives_the_desk_clock(world):
    policy = _policy(world.users["admin"])
    spec = selectors.policy_as_replay_dict(policy)
    assert spec["calendar"] is None
    created = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
    result = sla.replay(
        spec, [{"at": created, "type": "created", "priority": "P1", "status": "open"}], created
    )
    assert result["resolution"]["deadline"] == created + dt.timedelta(hours=4)
    assert result["first_response"]["deadline"] == created + dt.timedelta(minutes=15)


def test_a_bad_target_leaves_the_old_ones_intact(world):
    admin = world.users["admin"]
    policy = _policy(admin, escalations=[{"target": "resolution", "offset_minutes": -30,
                                          "actions": [{"type": "raise_priority"}]}])  # fmt: skip
    before_targets = list(SlaTarget.objects.filter(policy=policy).values())
    before_escalations = list(EscalationLevel.objects.filter(policy=policy).values())
    events = AuditEvent.objects.count()
    bad = [{"priority": "P1", "resolution_minutes": 60}, {"priority": "P2", "resolution_minutes": 0}]
    with pytest.raises(ValidationFailed) as exc:
        services.sla_policy_update(
            actor=admin,
            policy=SlaPolicy.objects.get(pk=policy.pk),
            name="Renamed",
            targets=bad,
            escalations=[],
        )
    assert exc.value.fields == {
        "targets.1.resolution_minutes": ["Ensure this value is greater than or equal to 1."]
    }
    assert list(SlaTarget.objects.filter(policy=policy).values()) == before_targets
    assert list(EscalationLevel.objects.filter(policy=policy).values()) == before_escalations
    assert SlaPolicy.objects.get(pk=policy.pk).name == "Gold"
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("targets", "escalations", "field"),
    [
        ([{"priority": "P1", "resolution_minutes": 60}] * 2, None, "targets.1"),
        ([{"priority": "P7", "resolution_minutes": 60}], None, "targets.0.priority"),
        ([{"priority": "P1"}], None, "targets.0"),
        ([{"priority": "P1", "resolution_minutes": 60, "colour": 1}], None, "targets.0.colour"),
        ("P1", None, "targets"),
        ([{"priority": "P1", "resolution_minutes": 60}],
         [{"target": "onsite", "offset_minutes": 0, "actions": [{"type": "raise_priority"}]}], "escalations.0.target"),
        (None, [{"target": "resolution", "offset_minutes": 0, "actions": []}], "escalations.0.actions"),
        (None, [{"target": "resolution", "offset_minutes": 0, "actions": [{"type": "explode"}]}], "escalations.0.actions"),
        (None, [{"target": "resolution", "offset_minutes": 0, "actions": [{"type": "notify_team"}]}], "escalations.0.actions"),
        (None, [{"target": "resolution", "offset_minutes": 0, "actions": [{"type": "notify_team", "team_id": 999999}]}],
         "escalations.0.actions"),
        (None, [{"target": "resolution", "offset_minutes": 0, "actions": [{"type": "notify_users", "user_ids": [True]}]}],
         "escalations.0.actions"),
        (None, [{"target": "resolution", "offset_minutes": 0, "actions": [{"type": "raise_priority"}]}] * 2, "escalations.1"),
    ],
)  # fmt: skip
def test_nested_validation_names_the_row_and_field(world, targets, escalations, field):
    admin = world.users["admin"]
    policy = _policy(admin)
    changes = {k: v for k, v in (("targets", targets), ("escalations", escalations)) if v is not None}
    with pytest.raises(ValidationFailed) as exc:
        services.sla_policy_update(actor=admin, policy=policy, **changes)
    assert field in exc.value.fields, exc.value.fields
    assert SlaTarget.objects.filter(policy=policy).count() == 2


def test_notify_users_needs_active_staff(world):
    admin = world.users["admin"]
    customer = world.users["customer_a_admin"]
    with pytest.raises(ValidationFailed) as exc:
        _policy(admin, escalations=[{"target": "resolution", "offset_minutes": 5,
                                     "actions": [{"type": "notify_users", "user_ids": [customer.pk]}]}])  # fmt: skip
    assert "no such active staff user" in exc.value.fields["escalations.0.actions"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pause_statuses": ["resolved"]}, "pause_statuses"),
        ({"pause_statuses": ["pending", "pending"]}, "pause_statuses"),
        ({"warning_percent": 0}, "warning_percent"),
        ({"warning_percent": 101}, "warning_percent"),
        ({"tiers": ["platinum"]}, "tiers"),
        ({"ticket_types": ["incident", "rant"]}, "ticket_types"),
        ({"priorities": "P1"}, "priorities"),
        ({"order": -1}, "order"),
        ({"order": 1}, "order"),
        ({"name": "Taken"}, "name"),
    ],
)
def test_policy_validation_names_the_field(world, changes, field):
    f.SlaPolicyFactory(name="Taken", order=1)
    with pytest.raises(ValidationFailed) as exc:
        _policy(world.users["admin"], **changes)
    assert field in exc.value.fields, exc.value.fields
    assert SlaPolicy.objects.count() == 1


def test_partial_update_keeps_what_is_not_given_and_audits_the_rest(world):
    admin = world.users["admin"]
    svc = f.ServiceFactory()
    policy = _policy(admin, services=[svc])
    services.sla_policy_update(actor=admin, policy=policy, warning_percent=70)
    assert policy.targets.count() == 2 and list(policy.services.all()) == [svc]
    services.sla_policy_update(
        actor=admin, policy=policy, services=[], targets=[{"priority": "P4", "resolution_minutes": 9600}]
    )
    assert list(policy.services.all()) == []
    assert list(policy.targets.values_list("priority", flat=True)) == ["P4"]
    last = _events(policy, "sla_policy.targets").order_by("-id").first()
    old, new = last.changes["targets"]
    assert [t["priority"] for t in old] == ["P1", "P2"] and [t["priority"] for t in new] == ["P4"]
    assert _events(policy, "sla_policy.conditions").order_by("-id").first().changes == {
        "services": [[svc.pk], []]
    }
    # An unchanged replacement writes no event.
    count = _events(policy).count()
    services.sla_policy_update(
        actor=admin, policy=policy, targets=[{"priority": "P4", "resolution_minutes": 9600}]
    )
    assert _events(policy).count() == count


def test_removing_a_target_kind_that_an_escalation_needs_is_refused(world):
    admin = world.users["admin"]
    policy = _policy(admin, escalations=[{"target": "first_response", "offset_minutes": 0,
                                          "actions": [{"type": "raise_priority"}]}])  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.sla_policy_update(
            actor=admin, policy=policy, targets=[{"priority": "P1", "resolution_minutes": 60}]
        )
    assert "escalations.0.target" in exc.value.fields
    assert policy.targets.count() == 2


# --- contracts -----------------------------------------------------------------------------------


def test_contract_create_update_and_dates(world):
    manager = world.users["manager"]
    policy = f.SlaPolicyFactory()
    svc = f.ServiceFactory()
    contract = services.contract_create(
        actor=manager, account=world.account_a, policy=policy, services=[svc], reference="SC-1",
        valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31),
    )  # fmt: skip
    assert _events(contract, "contract.create").get().account_id == world.account_a.pk
    assert _events(contract, "contract.services").get().changes == {"services": [[], [svc.pk]]}
    with pytest.raises(ValidationFailed) as exc:
        services.contract_update(actor=manager, contract=contract, valid_to=dt.date(2025, 12, 31))
    assert list(exc.value.fields) == ["valid_to"]
    with pytest.raises(ValidationFailed) as exc:
        services.contract_create(
            actor=manager,
            account=world.account_b,
            policy=policy,
            reference="SC-1",
            valid_from=dt.date(2026, 1, 1),
        )
    assert "reference" in exc.value.fields
    with pytest.raises(Forbidden):
        services.contract_update(actor=world.users["agent"], contract=contract, notes="x")
    assert Contract.objects.get(pk=contract.pk).valid_to == dt.date(2026, 12, 31)


# --- reads ---------------------------------------------------------------------------------------


def test_customers_see_active_portal_services_only(world):
    visible = f.ServiceFactory()
    hidden = f.ServiceFactory(portal_visible=False)
    retired = f.ServiceFactory(is_active=False)
    customer = world.users["customer_a_requester"]
    assert list(selectors.service_list(customer)) == [visible]
    assert set(selectors.service_list(world.users["technician"])) == {visible, hidden, retired}
    for svc in (hidden, retired):
        with pytest.raises(NotFound):
            selectors.service_get(customer, svc.pk)


def test_policies_are_staff_only(world):
    policy = f.SlaPolicyFactory()
    with pytest.raises(Forbidden):
        selectors.policy_list(world.users["customer_a_admin"])
    with pytest.raises(NotFound):
        selectors.policy_get(world.users["customer_a_admin"], policy.pk)
    assert selectors.policy_get(world.users["technician"], policy.pk) == policy


def test_contracts_are_for_the_customer_admin_of_their_account(world):
    a = f.ContractFactory(account=world.account_a)
    b = f.ContractFactory(account=world.account_b)
    assert list(selectors.contract_list(world.users["customer_a_admin"])) == [a]
    assert list(selectors.contract_list(world.users["customer_a_requester"])) == []
    assert set(selectors.contract_list(world.users["agent"])) == {a, b}
    with pytest.raises(NotFound):
        selectors.contract_get(world.users["customer_a_admin"], b.pk)
    assert list(selectors.contract_list(world.users["agent"], valid_on=dt.date(2027, 1, 1))) == []


# --- which policy governs a ticket ---------------------------------------------------------------


@pytest.fixture
def ladder(world):
    """Gold by tier (10), a contract-only Premium IT policy (5), Standard fallback (100)."""
    it = f.ServiceFactory(name="IT incident", code="it-incident", category="IT")
    hvac = f.ServiceFactory(name="HVAC repair", code="hvac-repair")
    gold = f.SlaPolicyFactory(name="Gold", order=10, tiers=["gold"])
    premium = f.SlaPolicyFactory(name="Premium IT", order=5, via_contract=True)
    standard = f.SlaPolicyFactory(name="Standard", order=100)
    f.SlaPolicyFactory(name="Retired", order=1, is_active=False)
    f.ContractFactory(
        account=world.account_b,
        policy=premium,
        services=[it],
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 6, 30),
    )
    return {"it": it, "hvac": hvac, "gold": gold, "premium": premium, "standard": standard}


@pytest.mark.parametrize(
    ("account", "service", "day", "expected"),
    [
        ("account_a", "hvac", dt.date(2026, 3, 1), "gold"),  # gold tier
        ("account_b", "hvac", dt.date(2026, 3, 1), "standard"),  # silver, contract does not cover HVAC
        ("account_b", "it", dt.date(2026, 3, 1), "premium"),  # the contract covers IT
        ("account_b", "it", dt.date(2026, 1, 1), "premium"),  # first day included
        ("account_b", "it", dt.date(2026, 6, 30), "premium"),  # last day included
        ("account_b", "it", dt.date(2026, 7, 1), "standard"),  # expired
        ("account_b", "it", dt.date(2025, 12, 31), "standard"),  # not yet valid
        (None, None, dt.date(2026, 3, 1), "standard"),
    ],
)
def test_policy_for_ticket(world, ladder, account, service, day, expected):
    chosen = selectors.policy_for_ticket(
        account=getattr(world, account) if account else None,
        service=ladder[service] if service else None,
        ticket_type="incident",
        priority="P2",
        on_date=day,
    )
    assert chosen == ladder[expected]


def test_a_contract_without_services_covers_every_service(world, ladder):
    f.ContractFactory(account=world.account_b, policy=ladder["premium"], valid_to=None)
    chosen = selectors.policy_for_ticket(
        account=world.account_b,
        service=ladder["hvac"],
        ticket_type="incident",
        priority="P3",
        on_date=dt.date(2030, 1, 1),
    )
    assert chosen == ladder["premium"]


def test_no_active_policy_matches_gives_none(world):
    f.SlaPolicyFactory(order=1, tiers=["bronze"])
    assert (
        selectors.policy_for_ticket(
            account=world.account_a,
            service=None,
            ticket_type="question",
            priority="P4",
            on_date=dt.date(2026, 1, 1),
        )
        is None
    )


def test_policy_for_ticket_costs_a_fixed_number_of_queries(world, ladder, django_assert_max_num_queries):
    for i in range(10):
        f.SlaPolicyFactory(order=200 + i, tiers=["bronze"], priorities=["P1"])
        f.ContractFactory(account=world.account_b, policy=ladder["premium"], valid_to=None)
    with django_assert_max_num_queries(8):
        selectors.policy_for_ticket(
            account=world.account_b,
            service=ladder["it"],
            ticket_type="incident",
            priority="P1",
            on_date=dt.date(2026, 2, 1),
        )
